/**
 * `@ward/server/testing`: a real Ward server for tests, in a temporary folder of its own.
 *
 *   const srv = await startTestServer();               // in this process
 *   const pw = await srv.recover('idm_admin');          // a fresh password for the built-in admin
 *   const c = new WardClient({ url: srv.url, caPath: srv.caPath });
 *   ...
 *   await srv.close();                                  // stop and delete the folder
 *
 * stop() / start() / restart() take the same server down and up again on the same folder, port
 * and database (an IdP outage for host tests; a stopped server for `wardd restore`).
 * rawRequest(), login() and adminToken() talk to it without a client library; testSshKey()
 * makes fresh OpenSSH public keys.
 *
 * Everything is real: a CA and a server certificate made by `cert-generate`'s code, a server.toml
 * that `wardd` itself parses, a SQLite file, argon2, HTTPS on 127.0.0.1. By default the server
 * runs inside the test's process (fast, and `directory` is at hand for white-box checks). With
 * `{ process: true }` it runs as a child, `node dist/bin/wardd.js server -c <configPath>` (dying
 * with the test process: diesWithParent), for tests that signal it (SIGTERM, SIGSTOP) or run
 * other `wardd` commands beside it; that mode needs the package built (`npx tsc -b packages/server`).
 *
 * The port is chosen before start (a free one from the kernel), so server.toml, `origin` and
 * `url` all name the real address and `wardd healthcheck -c <configPath>` works in both modes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCertificates, writeCertificates } from '../commands/cert-generate.js';
import { healthcheck } from '../commands/healthcheck.js';
import { recoverAccount, recoverFromConfig, type RecoverableAccount } from '../commands/recover-account.js';
import { loadConfig, tomlString, type LogLevel } from '../config.js';
import type { FastifyInstance } from 'fastify';
import type { Directory } from '../directory/types.js';
import { startServer, type RunningServer } from '../http/server.js';

export interface TestServerOptions {
  /** The IdP's domain (SPNs are name@domain); default `ward.test`. */
  domain?: string;
  /** Run `dist/bin/wardd.js server` as a child process instead of in this process. */
  process?: boolean;
  /** log_level of the server; default `silent` in-process, `info` for a child (see output()). */
  logLevel?: LogLevel;
  /** In-process only: where log lines go (e.g. a stream a test inspects). */
  logStream?: NodeJS.WritableStream;
  /** More server.toml keys, e.g. `{ session_ttl: 60 }`. */
  config?: Record<string, string | number>;
}

export interface TestServer {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The CA certificate (PEM) that signed the server's certificate: WardClient's `caPath`. */
  caPath: string;
  /** The temporary folder holding everything (tls/, ward.db, server.toml). */
  dir: string;
  domain: string;
  /** The server.toml the server runs with; pass it to other `wardd` commands with -c. */
  configPath: string;
  dbPath: string;
  /** The server's process id: the child's with `process: true`, this process's otherwise (the last run's once stopped). */
  readonly pid: number;
  /** The configured public origin (`https://<domain>:<port>`): what WebAuthn responses must name. */
  origin: string;
  /** In-process and running only: the server's directory, for checks a client cannot make. */
  readonly directory: Directory | undefined;
  /** In-process and running only: the Fastify app, with `authFlow`, `credentialUpdates`, `wardTokens`. */
  readonly app: FastifyInstance | undefined;
  /** Set a new random password on a built-in admin (as `wardd recover-account`) and return it; works stopped too. */
  recover(name: RecoverableAccount): Promise<string>;
  /** Child only: what the server printed so far, over all its runs (JSON log lines and any error). */
  output(): string;
  /** Whether the server is running (between start and stop). */
  readonly running: boolean;
  /** Stop the server gracefully (SIGTERM for a child; a stopped child is continued first). Idempotent. */
  stop(): Promise<void>;
  /** Start it again after stop(): same folder, database, configuration and port. */
  start(): Promise<void>;
  /** stop(), then start(). */
  restart(): Promise<void>;
  /** stop(), then delete the folder. */
  close(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

let pdeathsig: string[] | undefined;
/**
 * `argv` run through util-linux's `setpriv --pdeathsig KILL` when it is installed: the kernel
 * kills the child when this process dies, even by SIGKILL, when no exit handler runs. setpriv
 * execs, so the child's pid is the program's own (tests signal it).
 */
export function diesWithParent(argv: string[]): string[] {
  pdeathsig ??= process.platform === 'linux' && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0
    ? ['setpriv', '--pdeathsig', 'KILL', '--']
    : [];
  return [...pdeathsig, ...argv];
}

/** A port the kernel just handed out and released: free at this instant. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Path of the built `wardd` executable of this package. */
export function warddBin(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the @ward/server package folder');
    dir = up;
  }
  const bin = path.join(dir, 'dist', 'bin', 'wardd.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (npx tsc -b packages/server)`);
  return bin;
}

function writeConfig(file: string, keys: Record<string, string | number>): void {
  const lines = Object.entries(keys).map(([k, v]) => `${k} = ${typeof v === 'number' ? String(v) : tomlString(v)}`);
  writeFileSync(file, `# written by @ward/server/testing\n${lines.join('\n')}\n`);
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const domain = opts.domain ?? 'ward.test';
  const dir = mkdtempSync(path.join(tmpdir(), 'ward-test-'));
  try {
    const certs = await generateCertificates({ domain, ips: ['127.0.0.1', '::1'], days: 30 });
    const files = writeCertificates(path.join(dir, 'tls'), certs);
    const configPath = path.join(dir, 'server.toml');
    const dbPath = path.join(dir, 'ward.db');
    // A port picked before start can be taken by someone else in between: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      writeConfig(configPath, {
        bindaddress: `127.0.0.1:${port}`,
        db_path: dbPath,
        tls_chain: files.chain,
        tls_key: files.key,
        domain,
        origin: `https://${domain}:${port}`,
        log_level: opts.logLevel ?? (opts.process ? 'info' : 'silent'),
        ...opts.config,
      });
      const server = new ManagedServer(
        { port, url: `https://127.0.0.1:${port}`, caPath: files.ca, dir, domain, configPath, dbPath, origin: `https://${domain}:${port}` },
        opts,
      );
      try {
        await server.start();
        return server;
      } catch (e) {
        if (attempt >= 3 || !String((e as Error).message).includes('EADDRINUSE')) throw e;
      }
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

type Base = Pick<TestServer, 'port' | 'url' | 'caPath' | 'dir' | 'domain' | 'configPath' | 'dbPath' | 'origin'>;

/** One run of the server, in this process or as a child. */
interface Run {
  pid: number;
  directory: Directory | undefined;
  app: FastifyInstance | undefined;
  recover(name: RecoverableAccount): Promise<string>;
  stop(): Promise<void>;
}

class ManagedServer implements TestServer {
  readonly port: number;
  readonly url: string;
  readonly caPath: string;
  readonly dir: string;
  readonly domain: string;
  readonly configPath: string;
  readonly dbPath: string;
  readonly origin: string;
  private run: Run | undefined;
  private lastPid = 0;
  private log = '';

  constructor(base: Base, private readonly opts: TestServerOptions) {
    this.port = base.port;
    this.url = base.url;
    this.caPath = base.caPath;
    this.dir = base.dir;
    this.domain = base.domain;
    this.configPath = base.configPath;
    this.dbPath = base.dbPath;
    this.origin = base.origin;
  }

  get pid(): number {
    return this.run?.pid ?? this.lastPid;
  }

  get directory(): Directory | undefined {
    return this.run?.directory;
  }

  get app(): FastifyInstance | undefined {
    return this.run?.app;
  }

  get running(): boolean {
    return this.run !== undefined;
  }

  async start(): Promise<void> {
    if (this.run) throw new Error('the test server is already running');
    this.run = this.opts.process ? await this.startChild() : await this.startInProcess();
    this.lastPid = this.run.pid;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  recover(name: RecoverableAccount): Promise<string> {
    return this.run ? this.run.recover(name) : recoverFromConfig(this.configPath, name);
  }

  output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    try {
      await run.stop();
    } finally {
      this.run = undefined;
    }
  }

  async close(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private async startInProcess(): Promise<Run> {
    const running: RunningServer = await startServer(loadConfig(this.configPath), {
      ...(this.opts.logStream ? { logStream: this.opts.logStream } : {}),
    });
    return {
      pid: process.pid,
      directory: running.directory,
      app: running.app,
      recover: (name) => recoverAccount(running.directory, name),
      stop: () => running.close(),
    };
  }

  private async startChild(): Promise<Run> {
    const [cmd, ...args] = diesWithParent([process.execPath, warddBin(), 'server', '-c', this.configPath]);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const keep = (chunk: Buffer) => {
      this.log += chunk.toString('utf8');
      if (this.log.length > 1 << 20) this.log = this.log.slice(-(1 << 19));
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    void exited.then(() => children.delete(child));
    const gone = () => child.exitCode !== null || child.signalCode !== null;

    const deadline = Date.now() + 20_000;
    for (;;) {
      if (gone()) throw new Error(`wardd server exited (${child.exitCode ?? child.signalCode}) before answering: ${this.log.trim()}`);
      const health = await healthcheck({ url: this.url, caPath: this.caPath, timeoutMs: 1000 });
      if (health.healthy) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`wardd server did not answer /status within 20 s: ${health.detail}; output: ${this.log.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    let stopped: Promise<void> | undefined;
    return {
      pid: child.pid!,
      directory: undefined,
      app: undefined,
      recover: (name) => recoverFromConfig(this.configPath, name),
      stop() {
        stopped ??= (async () => {
          if (gone()) return;
          child.kill('SIGTERM');
          child.kill('SIGCONT'); // a SIGSTOPped server must run to handle its SIGTERM
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        })();
        return stopped;
      },
    };
  }
}

export { adminToken, login, rawRequest, type RawRequest, type RawResponse } from './http.js';
export { testSshKey, type TestSshKeyType } from './ssh-keys.js';
export { sigtermWhenFileAppears, type StopOutcome } from './stop-signal.js';
export { softAuthenticator, type SoftAuthenticator, type SoftCredential } from './soft-authenticator.js';
export { FormAgent, OriginClient, type OriginServer, type Page, type SignInAnswers } from './oidc.js';
/** RFC 6238 arithmetic, for tests that compute TOTP codes as an authenticator app would. */
export { base32Decode, totpCode } from '../credentials/totp.js';
