/**
 * The HTTP client of the Ward REST API, shared by the CLI and the host daemon. It speaks only the
 * routes of `@ward/proto`'s ROUTES table, over HTTPS with keep-alive, and turns every error body
 * into a WardError carrying the server's code. Every call has a deadline: a server that accepts
 * the connection and never answers fails the call with `unavailable` instead of hanging.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { ROUTES, WardError, isErrorCode, routePath, type RouteName } from '@ward/proto';

export interface ClientOptions {
  /** e.g. https://idm.example.com:8443 */
  url: string;
  /** PEM file of the CA that signed the server certificate; the system store when absent. */
  caPath?: string;
  ca?: string | Buffer;
  token?: string;
  /** Deadline for one whole call, in milliseconds. */
  timeoutMs?: number;
  /** Concurrent sockets kept open to the server. */
  maxSockets?: number;
}

export interface CallArgs {
  params?: Record<string, string | number>;
  body?: unknown;
  query?: Record<string, string>;
}

/** Bodies above this are refused: no answer of the API is legitimately larger. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export class WardClient {
  readonly url: URL;
  token: string | undefined;
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new WardError('bad_request', `not a URL: ${opts.url}`);
    }
    if (url.protocol !== 'https:') throw new WardError('bad_request', `the IdP URL must use https: ${opts.url}`);
    this.url = url;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 15000;
    const ca = opts.ca ?? (opts.caPath ? readFileSync(opts.caPath) : undefined);
    this.agent = new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 8, ...(ca ? { ca } : {}) });
  }

  /** Call one route of the API; resolves to the parsed JSON answer. */
  async call<T = unknown>(name: RouteName, args: CallArgs = {}): Promise<T> {
    return (await this.callWithStatus<T>(name, args)).body;
  }

  /**
   * Like `call`, also giving the HTTP status of a successful answer: the idempotent create
   * routes answer 201 when they created the entry and 200 when an identical one was already there.
   */
  async callWithStatus<T = unknown>(name: RouteName, args: CallArgs = {}): Promise<{ status: number; body: T }> {
    const route = ROUTES[name];
    if (!route) throw new WardError('bad_request', `unknown route ${String(name)}`);
    let path = routePath(route.path, args.params);
    if (args.query) path += '?' + new URLSearchParams(args.query).toString();
    return this.requestWithStatus<T>(route.method, path, args.body);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.requestWithStatus<T>(method, path, body)).body;
  }

  requestWithStatus<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    return new Promise<{ status: number; body: T }>((resolve, reject) => {
      const req = https.request(
        { protocol: 'https:', hostname: this.url.hostname, port: this.url.port || 443, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) req.destroy(new WardError('internal', 'response too large'));
            else chunks.push(c);
          });
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text.length ? JSON.parse(text) : undefined;
            } catch {
              return reject(new WardError('internal', `the server sent a non-JSON answer (HTTP ${res.statusCode})`));
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve({ status, body: parsed as T });
            const err = parsed as { error?: unknown; message?: unknown } | undefined;
            const code = isErrorCode(err?.error) ? err.error : status === 404 ? 'not_found' : 'internal';
            reject(new WardError(code, typeof err?.message === 'string' ? err.message : `HTTP ${status}`));
          });
          res.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new WardError('unavailable', `no answer from ${this.url.origin} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        if (e instanceof WardError) return reject(e);
        reject(new WardError('unavailable', `cannot reach ${this.url.origin}: ${(e as Error).message}`));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
