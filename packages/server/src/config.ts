/**
 * The configuration of `wardd`: one TOML file (`server.toml`), read once at start. Every key, its
 * type, its default and its check are written down in KEYS below, once; docs/server-config.md
 * documents the same keys (config.test.ts keeps the two in step). An unknown key or a bad value
 * stops the start with a ConfigError naming the key, so a typo never silently falls back to a
 * default.
 *
 * Relative paths (db_path, tls_chain, tls_key) are resolved against the directory holding the
 * configuration file, so a config and its files can move together.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { isValidDomain } from '@ward/proto';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
  /** The file the configuration came from (absolute), or '' when built in code. */
  file: string;
  /** Host part as written (an IP literal without brackets, or a DNS name). */
  host: string;
  port: number;
  dbPath: string;
  tlsChain: string;
  tlsKey: string;
  domain: string;
  /** The public https URL of this server, without a trailing slash. */
  origin: string;
  logLevel: LogLevel;
  /** Lifetime of a login session (and its token), seconds. */
  sessionTtl: number;
  /** Failed logins allowed per account name and source address within login_failure_window. */
  loginFailureLimit: number;
  /** Seconds over which failed logins are counted. */
  loginFailureWindow: number;
  /** Soft lock (auth/soft-lock.ts): failed password/TOTP attempts on one account before it locks. */
  authLockThreshold: number;
  /** The first lock's length, seconds; each further failure doubles it. */
  authLockSeconds: number;
  /** The longest lock, seconds. */
  authLockMaxSeconds: number;
}

/** A bad configuration: which key (or '' for the file as a whole) and why. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, problem: string) {
    super(key ? `${key}: ${problem}` : problem);
    this.name = 'ConfigError';
    this.key = key;
  }
}

type Raw = Record<string, unknown>;

interface KeyDef {
  /** One line for the error messages and the docs' summary. */
  describe: string;
  /** Checks the raw TOML value; returns a problem, or undefined when it is acceptable. */
  check(value: unknown): string | undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? undefined : `must be a string, not ${tomlType(value)}`;
}
function nonEmptyPath(value: unknown): string | undefined {
  return str(value) ?? ((value as string).length === 0 ? 'must not be empty' : undefined) ??
    ((value as string).includes('\0') ? 'must not contain NUL' : undefined);
}
function intIn(lo: number, hi: number) {
  return (value: unknown): string | undefined => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return `must be an integer, not ${tomlType(value)}`;
    if (value < lo || value > hi) return `must be between ${lo} and ${hi}, not ${value}`;
    return undefined;
  };
}
function tomlType(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'bigint') return 'an integer out of range';
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  return `a ${typeof value}`;
}

/** The accepted keys. Anything else in the file is an error. */
export const KEYS: Record<string, KeyDef> = {
  bindaddress: { describe: 'address and port to listen on', check: (v) => str(v) ?? parseBindAddress(v as string).problem },
  db_path: { describe: 'the SQLite database file', check: nonEmptyPath },
  tls_chain: { describe: 'PEM file: the server certificate, then its intermediates', check: nonEmptyPath },
  tls_key: { describe: 'PEM file: the private key of the server certificate', check: nonEmptyPath },
  domain: {
    describe: 'the DNS domain of this IdP; SPNs are name@domain',
    check: (v) => str(v) ?? (isValidDomain(v) ? undefined : `"${String(v)}" is not a lower-case DNS name`),
  },
  origin: { describe: 'the public https URL of this server', check: (v) => str(v) ?? originProblem(v as string) },
  log_level: {
    describe: 'log verbosity',
    check: (v) => str(v) ?? ((LOG_LEVELS as readonly string[]).includes(v as string) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`),
  },
  session_ttl: { describe: 'login session lifetime, seconds', check: intIn(60, 30 * 86400) },
  login_failure_limit: { describe: 'failed logins per name and source before 429', check: intIn(1, 1000) },
  login_failure_window: { describe: 'window for counting failed logins, seconds', check: intIn(1, 86400) },
  auth_lock_threshold: { describe: 'failed password/TOTP attempts on an account before a soft lock', check: intIn(1, 100) },
  auth_lock_seconds: { describe: 'length of the first soft lock, seconds (doubles per further failure)', check: intIn(1, 3600) },
  auth_lock_max_seconds: { describe: 'longest soft lock, seconds', check: intIn(1, 86400) },
};

export const DEFAULTS = {
  bindaddress: '127.0.0.1:8443',
  db_path: '/var/lib/ward/ward.db',
  log_level: 'info' as LogLevel,
  session_ttl: 8 * 3600,
  login_failure_limit: 10,
  login_failure_window: 300,
  auth_lock_threshold: 5,
  auth_lock_seconds: 10,
  auth_lock_max_seconds: 300,
};

const REQUIRED = ['tls_chain', 'tls_key', 'domain'] as const;

/** `127.0.0.1:8443`, `[::1]:8443`, `idm.example.com:443`. Port 0 asks the kernel for a free port. */
export function parseBindAddress(text: string): { host: string; port: number; problem?: undefined } | { problem: string } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return { problem: `"${text}" is not host:port (IPv6 in brackets: [::1]:8443)` };
  const host = (m[1] ?? m[2]) as string;
  const port = Number(m[3]);
  if (port > 65535) return { problem: `port ${port} is out of range` };
  if (m[1] !== undefined && isIP(host) !== 6) return { problem: `"${host}" is not an IPv6 address` };
  if (m[2] !== undefined && isIP(host) === 0 && !isValidDomain(host)) {
    return { problem: `"${host}" is neither an IP address nor a DNS name` };
  }
  return { host, port };
}

function originProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.username || url.password) return 'must not hold credentials';
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return 'must be scheme, host and port only';
  return undefined;
}

/** Why a file could not be read, in words (ENOENT -> "no such file"). */
export function fileProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return (e as Error)?.message ?? String(e);
}

/** Read and check `server.toml`. Throws ConfigError. */
export function loadConfig(file: string): ServerConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError('', `cannot read the configuration file ${abs}: ${fileProblem(e)}`);
  }
  return parseConfig(text, abs);
}

/** Check the TOML text of a configuration; `file` anchors relative paths. */
export function parseConfig(text: string, file: string): ServerConfig {
  let raw: Raw;
  try {
    raw = parseToml(text) as Raw;
  } catch (e) {
    const where = e instanceof TomlError ? ` (line ${e.line}, column ${e.column})` : '';
    const first = (e as Error).message.split('\n')[0];
    throw new ConfigError('', `${file} is not valid TOML${where}: ${first}`);
  }
  return configFromObject(raw, file);
}

/** Check an already parsed table (the TOML file's, or one built by a test helper). */
export function configFromObject(raw: Raw, file: string): ServerConfig {
  for (const [key, value] of Object.entries(raw)) {
    const def = KEYS[key];
    if (!def) {
      const hint = typeof value === 'object' && value !== null && !Array.isArray(value) ? ' (tables are not used; every key is at the top level)' : '';
      throw new ConfigError(key, `unknown key${hint}; known keys: ${Object.keys(KEYS).join(', ')}`);
    }
    const problem = def.check(value);
    if (problem) throw new ConfigError(key, problem);
  }
  for (const key of REQUIRED) if (raw[key] === undefined) throw new ConfigError(key, `is required (${KEYS[key]!.describe})`);

  const base = file ? path.dirname(file) : process.cwd();
  const resolve = (p: string) => path.resolve(base, p);
  const bind = parseBindAddress((raw.bindaddress as string | undefined) ?? DEFAULTS.bindaddress);
  if (bind.problem !== undefined) throw new ConfigError('bindaddress', bind.problem);
  const domain = raw.domain as string;
  const origin = ((raw.origin as string | undefined) ?? defaultOrigin(domain, bind.port)).replace(/\/$/, '');
  return {
    file,
    host: bind.host,
    port: bind.port,
    dbPath: resolve((raw.db_path as string | undefined) ?? DEFAULTS.db_path),
    tlsChain: resolve(raw.tls_chain as string),
    tlsKey: resolve(raw.tls_key as string),
    domain,
    origin,
    logLevel: (raw.log_level as LogLevel | undefined) ?? DEFAULTS.log_level,
    sessionTtl: (raw.session_ttl as number | undefined) ?? DEFAULTS.session_ttl,
    loginFailureLimit: (raw.login_failure_limit as number | undefined) ?? DEFAULTS.login_failure_limit,
    loginFailureWindow: (raw.login_failure_window as number | undefined) ?? DEFAULTS.login_failure_window,
    authLockThreshold: (raw.auth_lock_threshold as number | undefined) ?? DEFAULTS.auth_lock_threshold,
    authLockSeconds: (raw.auth_lock_seconds as number | undefined) ?? DEFAULTS.auth_lock_seconds,
    authLockMaxSeconds: lockMax(raw),
  };
}

function lockMax(raw: Raw): number {
  const base = (raw.auth_lock_seconds as number | undefined) ?? DEFAULTS.auth_lock_seconds;
  const max = (raw.auth_lock_max_seconds as number | undefined) ?? DEFAULTS.auth_lock_max_seconds;
  if (max < base) throw new ConfigError('auth_lock_max_seconds', `must not be below auth_lock_seconds (${base})`);
  return max;
}

function defaultOrigin(domain: string, port: number): string {
  return port === 443 ? `https://${domain}` : `https://${domain}:${port}`;
}

/** A URL for a bound address: IPv6 in brackets, the wildcard replaced by loopback. */
export function bindUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `https://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

/** Render a TOML string value (for files written by the test helper and the demo). */
export function tomlString(value: string): string {
  // JSON's escapes are TOML's; DEL is the one control character JSON leaves raw and TOML refuses.
  return JSON.stringify(value).replace(/\x7f/g, '\\u007f');
}
