/**
 * Starting and stopping one `wardd` server: check the TLS files, take the database lock, open
 * the directory, load the token key, listen. Used by `wardd server` and by the in-process test
 * server, so tests run exactly what ships. The order matters: nothing is opened before the
 * configuration's files are known to be good, and close() releases in reverse.
 */
import { SoftLock } from '../auth/soft-lock.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { ConfigError, bindUrl, fileProblem, type LogLevel, type ServerConfig } from '../config.js';
import { acquireDbLock } from '../db-lock.js';
import { openDirectory } from '../directory/index.js';
import type { Directory } from '../directory/types.js';
import { buildApp } from './app.js';
import { buildAuthServices } from './auth-services.js';
import { LoginThrottle } from './login-throttle.js';
import { OAuth2Service } from '../oauth2/index.js';
import { TokenService } from './tokens.js';

export interface StartOptions {
  /** Overrides the configuration's log_level (the test helper keeps tests quiet). */
  logLevel?: LogLevel;
  /** Where log lines go; standard output when absent. */
  logStream?: NodeJS.WritableStream;
}

export interface RunningServer {
  config: ServerConfig;
  app: FastifyInstance;
  directory: Directory;
  /** https://host:port as bound (the chosen port when the configuration says 0). */
  url: string;
  port: number;
  /** Stop listening (in-flight requests finish), close the database, release the lock. */
  close(): Promise<void>;
}

/** The TLS material, checked: readable, PEM, and a key that belongs to the certificate. */
export function loadTls(config: Pick<ServerConfig, 'tlsChain' | 'tlsKey'>): { cert: Buffer; key: Buffer } {
  const read = (key: string, file: string, marker: RegExp, what: string): Buffer => {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      throw new ConfigError(key, `cannot read ${file}: ${fileProblem(e)}`);
    }
    if (!marker.test(data.toString('latin1'))) throw new ConfigError(key, `${file} holds no PEM ${what}`);
    return data;
  };
  const cert = read('tls_chain', config.tlsChain, /-----BEGIN CERTIFICATE-----/, 'certificate');
  const key = read('tls_key', config.tlsKey, /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/, 'private key');
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new ConfigError('tls_key', `cannot be used with the certificate in tls_chain: ${(e as Error).message}`);
  }
  return { cert, key };
}

/** The database's folder must exist: creating folders (and their modes) is the installer's job. */
export function checkDbPath(config: Pick<ServerConfig, 'dbPath'>): void {
  const dir = path.dirname(config.dbPath);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError('db_path', `the folder ${dir} does not exist`);
}

export async function startServer(config: ServerConfig, opts: StartOptions = {}): Promise<RunningServer> {
  const tls = loadTls(config);
  checkDbPath(config);
  const lock = acquireDbLock(config.dbPath);
  let directory: ReturnType<typeof openDirectory> | undefined;
  let app: FastifyInstance | undefined;
  let oauth2: OAuth2Service | undefined;
  try {
    const dir = openDirectory({ dbPath: config.dbPath, domain: config.domain });
    directory = dir;
    const tokens = await TokenService.open(directory, config.origin);
    oauth2 = await OAuth2Service.open({ db: dir.db, directory: dir, config, tokens });
    const sso = oauth2;
    const windowMs = config.loginFailureWindow * 1000;
    const throttle = new LoginThrottle(config.loginFailureLimit, windowMs, 10);
    app = buildApp({
      services: {
        config,
        directory,
        tokens,
        throttle,
        unixThrottle: new LoginThrottle(config.loginFailureLimit, windowMs, 0),
        unixLock: new SoftLock({ threshold: config.authLockThreshold, baseSeconds: config.authLockSeconds, maxSeconds: config.authLockMaxSeconds }),
        oauth2: sso,
      },
      authServices: (log) => {
        const auth = buildAuthServices({ config, directory: dir, throttle, log });
        // Web sign-ins record how they were made, for the amr and acr of single sign-on.
        return { ...auth, authFlow: sso.recordSignInMethods(auth.authFlow) };
      },
      tls,
      logLevel: opts.logLevel ?? config.logLevel,
      ...(opts.logStream ? { logStream: opts.logStream } : {}),
    });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = bindUrl(config.host, port);
    app.log.info({ url, origin: config.origin, domain: config.domain, db: config.dbPath }, `wardd listening on ${url}`);
    const openDir = directory;
    const openApp = app;
    let closed: Promise<void> | undefined;
    return {
      config,
      app: openApp,
      directory: openDir,
      url,
      port,
      close() {
        closed ??= (async () => {
          try {
            await openApp.close();
          } finally {
            openDir.close();
            lock.release();
          }
        })();
        return closed;
      },
    };
  } catch (e) {
    await app?.close().catch(() => undefined);
    oauth2?.close();
    directory?.close();
    lock.release();
    throw e;
  }
}
