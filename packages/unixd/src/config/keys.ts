/**
 * Every key of /etc/ward/unixd.toml, written down once: its type, its default, what it does and
 * how its value is checked. `load.ts` validates a file against this table and
 * `doc.ts` renders docs/unixd-config.md from it (a test fails when the page drifts), so the
 * documentation and the behaviour cannot disagree.
 *
 * A parser receives the raw TOML value and returns the typed value or throws ConfigValueError
 * with a sentence saying what was expected; load.ts prefixes the key name and the file.
 */
import path from 'node:path';
import { isValidDomain, isValidName, isValidShell } from '@ward/proto';
import { LOG_LEVELS, type LogLevel } from '../log.js';

export class ConfigValueError extends Error {}

export interface KeyDef<T> {
  /** The type as the documentation shows it. */
  type: string;
  /** undefined: the key is required. */
  default: T | undefined;
  doc: string;
  parse(value: unknown): T;
}

function def<T>(d: KeyDef<T>): KeyDef<T> {
  return d;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}` : JSON.stringify(v) ?? String(v);
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw new ConfigValueError(`must be a string (got ${show(v)})`);
  if (v.includes('\0')) throw new ConfigValueError('must not contain a NUL character');
  return v;
}

function absPath(v: unknown): string {
  const s = str(v);
  if (!path.posix.isAbsolute(s)) throw new ConfigValueError(`must be an absolute path (got ${show(s)})`);
  if (s.length > 1 && s.endsWith('/')) throw new ConfigValueError(`must name a file, not a directory (got ${show(s)})`);
  if (path.posix.normalize(s) !== s) {
    throw new ConfigValueError(`must be a normalized path without "..", "." or "//" (got ${show(s)})`);
  }
  return s;
}

/** Sockets live in a Unix socket address: sun_path holds 107 bytes plus a NUL. */
function socketPath(v: unknown): string {
  const s = absPath(v);
  if (Buffer.byteLength(s) > 107) throw new ConfigValueError(`must be at most 107 bytes long (a Unix socket path limit)`);
  return s;
}

function optPath(v: unknown): string | null {
  return v === '' ? null : absPath(v);
}

function int(min: number, max: number) {
  return (v: unknown): number => {
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new ConfigValueError(`must be an integer from ${min} to ${max} (got ${show(v)})`);
    }
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (v: unknown): T => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw new ConfigValueError(`must be one of ${values.map((x) => `"${x}"`).join(', ')} (got ${show(v)})`);
    }
    return v as T;
  };
}

function httpsUrl(v: unknown): string {
  const s = str(v);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ConfigValueError(`must be a URL such as "https://idm.example.com" (got ${show(s)})`);
  }
  if (u.protocol !== 'https:') throw new ConfigValueError(`must use https (got ${show(s)})`);
  if (u.username || u.password) throw new ConfigValueError('must not carry a user name or password');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
    throw new ConfigValueError(`must be the IdP's origin only, without a path, query or fragment (got ${show(s)})`);
  }
  return u.origin;
}

/** A group named by its short name or its SPN (`name@domain`). */
function groupNames(v: unknown): string[] {
  if (!Array.isArray(v)) throw new ConfigValueError(`must be a list of group names (got ${show(v)})`);
  if (v.length > 1024) throw new ConfigValueError('must list at most 1024 groups');
  const out: string[] = [];
  for (const item of v) {
    const s = str(item);
    const at = s.indexOf('@');
    const ok = at < 0 ? isValidName(s) : isValidName(s.slice(0, at)) && isValidDomain(s.slice(at + 1));
    if (!ok) throw new ConfigValueError(`holds ${show(s)}, which is not a group name or name@domain`);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

function shell(v: unknown): string {
  const s = str(v);
  if (!isValidShell(s)) throw new ConfigValueError(`must be an absolute path to a shell (got ${show(s)})`);
  return s;
}

function homePrefix(v: unknown): string {
  const s = str(v);
  const bare = s.endsWith('/') && s.length > 1 ? s.slice(0, -1) : s;
  absPath(bare);
  if (bare === '/') throw new ConfigValueError('must not be "/"');
  if (!/^\/[A-Za-z0-9._/+-]*$/.test(bare)) {
    throw new ConfigValueError(`may hold only letters, digits and "._/+-" (got ${show(s)})`);
  }
  return bare + '/';
}

export const CONFIG_KEYS = {
  idp_url: def<string>({
    type: 'string (https URL)',
    default: undefined,
    doc: 'The IdP (`wardd`) this host takes its users, groups and SSH keys from, e.g. `https://idm.example.com:8443`. Required.',
    parse: httpsUrl,
  }),
  ca_path: def<string | null>({
    type: 'path',
    default: null,
    doc: 'PEM file of the CA that signed the IdP\'s certificate. When unset, the system\'s trusted CAs are used.',
    parse: optPath,
  }),
  token_path: def<string | null>({
    type: 'path',
    default: null,
    doc: 'File holding a service-account API token the daemon presents to the IdP. When unset the daemon reads the directory anonymously. The file must not be accessible to other users (no `o+rwx` bits): the daemon refuses to start otherwise.',
    parse: optPath,
  }),
  socket: def<string>({
    type: 'path',
    default: '/run/ward-unixd/sock',
    doc: 'The public socket (mode 0666): name, number, group-membership and SSH-key lookups and `STATUS`. Every local user may connect; privileged requests sent here are answered `FORBIDDEN`.',
    parse: socketPath,
  }),
  priv_socket: def<string>({
    type: 'path',
    default: '/run/ward-unixd/priv.sock',
    doc: 'The privileged socket (mode 0600, owned by the daemon\'s user; root connects regardless): PAM password checks, account and session checks, `cache-clear` and `cache-invalidate`, plus everything the public socket serves.',
    parse: socketPath,
  }),
  tasks_socket: def<string>({
    type: 'path',
    default: '/run/ward-unixd/tasks.sock',
    doc: 'The root-only socket of `ward-unixd-tasks`, which creates home directories when a session opens.',
    parse: socketPath,
  }),
  nss_map: def<string | null>({
    type: 'path',
    default: null,
    doc: 'The memory-mapped file `libnss_ward.so.2` answers lookups from without a socket round trip (mode 0644: it holds only what `getent` shows). The daemon rewrites it (atomically, by rename) within about a second of a cache or `/etc/passwd`/`/etc/group` change, and refreshes a heartbeat in it every 10 s; the NSS module ignores it 30 s after the last heartbeat, or when its owner or mode is unsafe, and asks the socket instead. When unset it is `nss.map` in the folder of `socket` (`/run/ward-unixd/nss.map` by default), which is where the module looks for it (or at `WARD_UNIXD_MAP`): set it only if every process on the host gets that variable. Its folder must be writable by the daemon and by nobody else.',
    parse: optPath,
  }),
  cache_db: def<string>({
    type: 'path',
    default: '/var/cache/ward-unixd/cache.db',
    doc: 'The SQLite cache file (created mode 0600; it holds the offline password hashes). It survives restarts, so a host that boots while the IdP is down still resolves every cached user. Its directory must exist and be writable by the daemon.',
    parse: absPath,
  }),
  cache_ttl: def<number>({
    type: 'integer (seconds)',
    default: 300,
    doc: 'How long a cached entry counts as fresh while the daemon is NOT following the IdP\'s change log (the IdP unreachable or too old to serve sync, or a full listing under way). While the sync stream is live every cached entry is current and none is refreshed by age (see "Sync" below). A stale entry is answered at once while it is refreshed in the background, and it stays usable for as long as the IdP is unreachable: only the IdP saying an entry is gone (or `ward-unix cache-clear`) removes it.',
    parse: int(10, 604800),
  }),
  negative_ttl: def<number>({
    type: 'integer (seconds)',
    default: 30,
    doc: 'How long "no such user or group" is remembered before the IdP is asked again about the same name or number.',
    parse: int(1, 3600),
  }),
  idp_timeout_ms: def<number>({
    type: 'integer (milliseconds)',
    default: 2000,
    doc: 'Deadline of one request to the IdP; past it the IdP counts as offline. A lookup of an entry that is not cached waits for the IdP at most the smaller of this and 800 ms, so it answers before the NSS module\'s own one-second deadline (the request may still land later and fill the cache). A PAM password check waits up to this long before it falls back to the offline password cache. Cached entries never wait.',
    parse: int(100, 60000),
  }),
  allowed_login_groups: def<string[]>({
    type: 'list of group names',
    default: [],
    doc: 'Directory groups whose members may log in on this host (PAM `account`). Membership through nested groups counts. A name may be short (`devs`) or an SPN (`devs@example.com`). Empty: no directory user may log in (lookups still work).',
    parse: groupNames,
  }),
  default_shell: def<string>({
    type: 'path',
    default: '/bin/bash',
    doc: 'The login shell given to a directory user whose shell from the IdP is empty or not a valid absolute path.',
    parse: shell,
  }),
  home_prefix: def<string>({
    type: 'path',
    default: '/home/',
    doc: 'The directory home directories are created in. A trailing `/` is added when missing.',
    parse: homePrefix,
  }),
  home_by: def<'uuid' | 'name'>({
    type: '"uuid" or "name"',
    default: 'name',
    doc: 'What names a user\'s real home directory: `name` gives `/home/alice`; `uuid` gives `/home/<uuid>`, which survives a rename in the IdP (pair it with `home_alias` so users see a readable path).',
    parse: oneOf(['uuid', 'name'] as const),
  }),
  home_alias: def<'none' | 'name' | 'spn'>({
    type: '"none", "name" or "spn"',
    default: 'none',
    doc: 'A symlink created next to the real home directory (`/home/alice` or `/home/alice@example.com`) pointing at it. When set, the passwd entry\'s home directory is this alias path. `none`: no alias; the passwd home is the real directory.',
    parse: oneOf(['none', 'name', 'spn'] as const),
  }),
  name_format: def<'short' | 'spn'>({
    type: '"short" or "spn"',
    default: 'short',
    doc: 'How user and group names appear in passwd and group entries: `short` (`alice`) or `spn` (`alice@example.com`). Lookups accept both forms whatever this says.',
    parse: oneOf(['short', 'spn'] as const),
  }),
  local_passwd_file: def<string>({
    type: 'path',
    default: '/etc/passwd',
    doc: 'The local user database. Local users always win: a directory user whose name or uid is also a local one is hidden on this host (and logged once). Reread when it changes.',
    parse: absPath,
  }),
  local_group_file: def<string>({
    type: 'path',
    default: '/etc/group',
    doc: 'The local group database, with the same precedence rule as `local_passwd_file` for group names and gids.',
    parse: absPath,
  }),
  log_level: def<LogLevel>({
    type: '"error", "warn", "info" or "debug"',
    default: 'info',
    doc: 'How much the daemon logs (to stderr, which systemd sends to the journal). `debug` logs every request, with passwords redacted.',
    parse: oneOf(LOG_LEVELS),
  }),
};

export type ConfigKey = keyof typeof CONFIG_KEYS;
export type UnixdConfig = { [K in ConfigKey]: (typeof CONFIG_KEYS)[K] extends KeyDef<infer T> ? T : never };

export const DEFAULT_CONFIG_PATH = '/etc/ward/unixd.toml';
