/**
 * Plain HTTPS requests to a test server, outside of any client library, and the login helpers
 * built on them. Part of `@ward/server/testing` (see index.ts).
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { RecoverableAccount } from '../commands/shared.js';
import type { TestServer } from './index.js';

export interface RawRequest {
  method?: string;
  /** Path and query, e.g. `/v1/person/alice`. Sent as given (no encoding). */
  path: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** JSON-encoded and sent with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is (for malformed bodies); set the content type in `headers`. */
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** The loopback address to send from (e.g. 127.0.0.7): another source address to the server. */
  localAddress?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw answer. */
  text: string;
  /** The answer parsed as JSON, or undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test code reads fields freely
  json: any;
}

/**
 * One HTTPS request to a test server, trusting its CA, outside of any client library: for tests
 * that send what a well-behaved client never would (malformed JSON, wrong content types, forged
 * tokens). Resolves for every HTTP status; rejects only when no answer arrives.
 */
export function rawRequest(server: Pick<TestServer, 'url' | 'caPath'>, req: RawRequest): Promise<RawResponse> {
  const url = new URL(server.url);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let payload: Buffer | undefined;
  if (req.json !== undefined) {
    payload = Buffer.from(JSON.stringify(req.json));
    headers['content-type'] ??= 'application/json';
  } else if (req.body !== undefined) {
    payload = Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  }
  if (payload) headers['content-length'] ??= String(payload.length);
  if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
  return new Promise((resolve, reject) => {
    const r = https.request(
      { host: url.hostname, port: url.port, method: req.method ?? 'GET', path: req.path, headers, ca: readFileSync(server.caPath), agent: false, timeout: 15_000, ...(req.localAddress ? { localAddress: req.localAddress } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer from ${server.url} within 15 s`)));
    r.on('error', reject);
    if (payload) r.write(payload);
    r.end();
  });
}

/** Log in with a password; resolves to the session token, rejects with the server's error body. */
export async function login(server: Pick<TestServer, 'url' | 'caPath'>, name: string, password: string): Promise<string> {
  const res = await rawRequest(server, { method: 'POST', path: '/v1/auth/login', json: { name, password } });
  if (res.status !== 200) throw new Error(`login as ${name} failed: HTTP ${res.status} ${res.text}`);
  return res.json.token as string;
}

/** Recover a built-in admin and log in as it: the token of `idm_admin` (default) or `admin`. */
export async function adminToken(server: TestServer, name: RecoverableAccount = 'idm_admin'): Promise<string> {
  return login(server, name, await server.recover(name));
}
