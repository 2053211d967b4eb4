/**
 * The token cache: the session tokens of `ward login`, so that one login serves many commands.
 * One JSON file (WARD_TOKEN_CACHE, else $XDG_CACHE_HOME/ward/tokens.json, else
 * ~/.cache/ward/tokens.json), mode 0600 in a 0700 directory, because each token is a bearer
 * credential. Entries are keyed by server origin and account; a command takes the entry for its
 * server and `-D` name, or without a name the most recent login to that server. Writes go to a
 * temporary file renamed over the cache, so a crash never leaves half a file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { WardError } from '@ward/proto';

export interface CachedToken {
  /** The server's origin, e.g. https://idm.example.com:8443 */
  url: string;
  name: string;
  spn: string;
  token: string;
  session_id: string;
  expires_at: string;
  saved_at: string;
}

interface CacheFile {
  version: 1;
  tokens: CachedToken[];
}

/** No sane cache is this large; a bigger file is not ours and is not read. */
const MAX_CACHE_BYTES = 1024 * 1024;

export function defaultCachePath(env: NodeJS.ProcessEnv): string {
  if (env.WARD_TOKEN_CACHE) return env.WARD_TOKEN_CACHE;
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'ward', 'tokens.json');
}

function isCachedToken(value: unknown): value is CachedToken {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['url', 'name', 'spn', 'token', 'session_id', 'expires_at', 'saved_at'].every((k) => typeof v[k] === 'string');
}

function isLive(entry: CachedToken, now: number): boolean {
  const expires = Date.parse(entry.expires_at);
  return Number.isNaN(expires) || expires > now;
}

function matches(entry: CachedToken, url: string, name: string | undefined): boolean {
  return entry.url === url && (name === undefined || entry.name === name || entry.spn === name);
}

export class TokenCache {
  constructor(
    readonly path: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** The live entries; a missing file is an empty cache, an unreadable one is an error. */
  load(now = Date.now()): CachedToken[] {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new WardError('bad_request', `cannot read the token cache ${this.path}: ${(e as Error).message}`);
    }
    let text: string;
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > MAX_CACHE_BYTES) {
        throw new WardError('bad_request', `the token cache ${this.path} is not a regular file of at most 1 MiB`);
      }
      if ((st.mode & 0o077) !== 0) {
        chmodSync(this.path, 0o600);
        this.warn(`the token cache ${this.path} was open to other users; its mode is now 0600`);
      }
      const buf = Buffer.alloc(st.size);
      let got = 0;
      while (got < st.size) {
        const n = readSync(fd, buf, got, st.size - got, got);
        if (n === 0) break;
        got += n;
      }
      text = buf.subarray(0, got).toString('utf8');
    } finally {
      closeSync(fd);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.warn(`the token cache ${this.path} is not valid JSON; ignoring it`);
      return [];
    }
    const tokens = (parsed as Partial<CacheFile> | null)?.tokens;
    return Array.isArray(tokens) ? tokens.filter(isCachedToken).filter((t) => isLive(t, now)) : [];
  }

  /** The entry for this server and name; without a name, the most recent login to this server. */
  find(url: string, name: string | undefined): CachedToken | undefined {
    const candidates = this.load().filter((t) => matches(t, url, name));
    candidates.sort((a, b) => b.saved_at.localeCompare(a.saved_at));
    return candidates[0];
  }

  /** Store a login, replacing an older one of the same account on the same server. */
  save(entry: CachedToken): void {
    const rest = this.load().filter((t) => !(t.url === entry.url && t.name === entry.name));
    this.write([...rest, entry]);
  }

  /** Drop the entry of this server and name (or its most recent one); returns it if there was one. */
  remove(url: string, name: string | undefined): CachedToken | undefined {
    const gone = this.find(url, name);
    if (!gone) return undefined;
    this.write(this.load().filter((t) => !(t.url === gone.url && t.name === gone.name)));
    return gone;
  }

  private write(tokens: CachedToken[]): void {
    const dir = dirname(this.path);
    try {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const body: CacheFile = { version: 1, tokens };
      try {
        writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
        renameSync(tmp, this.path);
      } finally {
        rmSync(tmp, { force: true });
      }
    } catch (e) {
      throw new WardError('bad_request', `cannot write the token cache ${this.path}: ${(e as Error).message}`);
    }
  }
}
