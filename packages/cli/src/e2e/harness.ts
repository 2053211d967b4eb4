/**
 * Test harness of the CLI's end-to-end suites: a real `wardd` (the server's test helper: TLS on
 * 127.0.0.1, a SQLite file in a temp dir, real argon2) and the BUILT `ward` run as a child process
 * with a clean environment, exactly as an administrator's shell would run it.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WARD_BIN = fileURLToPath(new URL('../../dist/bin/ward.js', import.meta.url));

export interface WardResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestServer {
  url: string;
  caPath: string;
  dir: string;
  domain: string;
  recover(name: string): Promise<string>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  // Imported at run time so the CLI's build does not depend on the server's.
  const testing = (await import('@ward/server/testing')) as { startTestServer: () => Promise<TestServer> };
  return testing.startTestServer();
}

export interface RunOptions {
  /** Written to standard input, which is then closed (an empty stdin when absent). */
  input?: string;
  /** Added to (or, with undefined, removed from) this shell's environment for one run. */
  env?: Record<string, string | undefined>;
}

/** A shell for one administrator: fixed WARD_URL, WARD_CA_PATH and a private token cache. */
export class WardShell {
  readonly home: string;
  readonly env: Record<string, string>;

  constructor(server: Pick<TestServer, 'url' | 'caPath'>) {
    this.home = mkdtempSync(join(tmpdir(), 'ward-cli-'));
    this.env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      WARD_URL: server.url,
      WARD_CA_PATH: server.caPath,
      WARD_TOKEN_CACHE: join(this.home, 'cache', 'ward', 'tokens.json'),
    };
  }

  get cachePath(): string {
    return this.env.WARD_TOKEN_CACHE!;
  }

  run(args: string[], opts: RunOptions = {}): Promise<WardResult> {
    const env: Record<string, string> = { ...this.env };
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [WARD_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
    });
  }

  /** Run with `-o json`, expect success, and parse standard output. */
  async json<T = any>(args: string[], opts: RunOptions = {}): Promise<T> {
    const r = await this.run(['-o', 'json', ...args], opts);
    if (r.code !== 0) throw new Error(`ward ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Run and expect success; returns standard output. */
  async ok(args: string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`ward ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  cleanup(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A fresh ed25519 public key as an authorized_keys line. */
export function ed25519PublicKey(comment: string): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const field = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

/** The one-line failure report every failing command must print. */
export const FAILURE_LINE = /^ward: [^\n]+ \([a-z_]+\)\n$/;

/** Quote one word for `sh -c`. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Run `ward` on a pseudo-terminal (util-linux `script`), answering each prompt when it appears.
 * Returns the exit status and the whole terminal transcript, which is what a bystander would see.
 */
export function runOnTerminal(
  shell: WardShell,
  args: string[],
  answers: Array<[RegExp, string]>,
  env: Record<string, string> = {},
): Promise<{ code: number; transcript: string }> {
  const command = [process.execPath, WARD_BIN, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...shell.env, ...env, TERM: 'dumb' } });
    let transcript = '';
    let pending = [...answers];
    let answeredUpTo = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      transcript += d;
      const next = pending[0];
      if (next && next[0].test(transcript.slice(answeredUpTo))) {
        answeredUpTo = transcript.length;
        pending = pending.slice(1);
        child.stdin.write(next[1] + '\r');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (transcript += d));
    // A prompt that never comes would leave the child waiting for input: end it and say so.
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no prompt matching ${String(pending[0]?.[0])}; terminal so far: ${JSON.stringify(transcript)}`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code: code ?? -1, transcript });
    });
  });
}
