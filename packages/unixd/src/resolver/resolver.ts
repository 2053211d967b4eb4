/**
 * Answers "who is this user / group" for the socket ops, from the layered cache, the IdP and the
 * host's own files. The rules, in order:
 *
 * 1. A cached entry is answered at once. While the sync stream is live (sync.ts) every cached
 *    entry is current: nothing is refreshed by age. Otherwise (the stream is down or being
 *    rebuilt) a stale one (older than cache_ttl) is refreshed in the background while the IdP is
 *    online (serve-stale): a slow or hung IdP never delays a cached lookup. Entries stay usable
 *    offline until the IdP says they are gone.
 * 2. Local users and groups win. A name or number the host's own files hold is answered "not
 *    found" at once, cached or not, without asking the IdP: it can only ever mean the local
 *    entry, and programs ask about local names all the time (sshd looks up the groups of
 *    `nobody`, its AuthorizedKeysCommandUser, on every key login), so these must never wait for
 *    the IdP. A directory entry found by another key (its uid, a listing) whose name or number
 *    the host's files use is hidden too (and logged once).
 * 3. An unknown name or number asks the IdP, waiting at most LOOKUP_WAIT_MS (below the C clients'
 *    deadline) from the moment its request started: later askers joining the same request wait
 *    only for what is left. A late answer still fills the cache. While offline, or while a
 *    request has gone unanswered past its wait (Connectivity's "stalled"), it does not wait at
 *    all. "Not found" (an IdP 404, or no answer) is remembered for negative_ttl, so each unknown
 *    name costs the IdP at most one request per negative_ttl.
 *
 * One request per entry is in flight at a time (later askers join it), and at most
 * MAX_INFLIGHT in all, so a flood of random names cannot pile up requests on the IdP.
 */
import { LRUCache } from 'lru-cache';
import { CLIENT_TIMEOUT_MS, isValidDomain, isValidName, posixIdProblem, type UnixAccount, type UnixGroup } from '@ward/proto';
import type { UnixdConfig } from '../config/keys.js';
import type { DirectoryCache } from '../cache/memory.js';
import type { Cached } from '../cache/store.js';
import type { IdpSource, Fetched } from '../idp/source.js';
import type { IdSet, LocalFiles } from '../local/etc-files.js';
import type { Logger } from '../log.js';
import type { Connectivity } from './connectivity.js';
import { localClash, visibleGids, withoutLocalMembers } from './local-wins.js';
import { privateGroupOf } from './render.js';

/** An uncached lookup answers before the C clients give up (CLIENT_TIMEOUT_MS), with margin. */
export const LOOKUP_WAIT_MS = CLIENT_TIMEOUT_MS - 200;
/** IdP requests for single entries in flight at once. */
export const MAX_INFLIGHT = 64;
const NEGATIVE_MAX = 16384;

export type NameQuery = { by: 'name' | 'spn'; key: string };
type NumberQuery = { by: 'uid' | 'gid'; key: number };

/** A user or group name as a lookup key: a POSIX name or `name@domain`; anything else cannot exist. */
export function parseName(input: string): NameQuery | undefined {
  const at = input.indexOf('@');
  if (at < 0) return isValidName(input) ? { by: 'name', key: input } : undefined;
  return isValidName(input.slice(0, at)) && isValidDomain(input.slice(at + 1)) ? { by: 'spn', key: input } : undefined;
}

interface Spec<T> {
  /** Names the question, for the negative cache and in-flight joining. */
  key: string;
  cached(): Cached<T> | undefined;
  /** Asks the IdP and stores or drops the answer in the cache. */
  fetch(): Promise<Fetched<T>>;
}

export interface ResolverDeps {
  cache: DirectoryCache;
  idp: IdpSource;
  local: LocalFiles;
  conn: Connectivity;
  cfg: Pick<UnixdConfig, 'cache_ttl' | 'negative_ttl' | 'idp_timeout_ms'>;
  log: Logger;
  /** Whether the sync stream is live (the cache follows the IdP's change log). */
  live?: () => boolean;
}

export class Resolver {
  private readonly negative: LRUCache<string, true>;
  private readonly inflight = new Map<string, Inflight<unknown>>();
  private readonly waitMs: number;
  private readonly ttlMs: number;

  constructor(private readonly d: ResolverDeps) {
    this.negative = new LRUCache<string, true>({ max: NEGATIVE_MAX, ttl: d.cfg.negative_ttl * 1000 });
    this.waitMs = Math.min(d.cfg.idp_timeout_ms, LOOKUP_WAIT_MS);
    this.ttlMs = d.cfg.cache_ttl * 1000;
  }

  /** Forget every "not found": after a complete refresh, or when an administrator asks. */
  clearNegative(): void {
    this.negative.clear();
  }

  async user(q: NameQuery | { by: 'uid'; key: number }): Promise<UnixAccount | undefined> {
    // System numbers (root, daemons, nobody) are never the IdP's: no need to ask it.
    if (q.by === 'uid' && posixIdProblem(q.key)) return undefined;
    if (isLocal(this.d.local.users(), q)) return undefined;
    const a = await this.resolve(this.accountSpec(q.by, q.key));
    if (!a || !matchesAccount(a, q)) return undefined;
    return this.hiddenUser(a) ? undefined : a;
  }

  async group(q: NameQuery | { by: 'gid'; key: number }): Promise<UnixGroup | undefined> {
    if (q.by === 'gid' && posixIdProblem(q.key)) return undefined;
    if (isLocal(this.d.local.groups(), q)) return undefined;
    const g = await this.resolve(this.groupSpec(q));
    if (!g || !matchesGroup(g, q)) return undefined;
    return this.hiddenGroup(g) ? undefined : this.visibleMembers(g);
  }

  /**
   * A member name a local user also has means that local user on this host, not the directory
   * one: listing it would hand the local user the directory group's rights.
   */
  visibleMembers(g: UnixGroup): UnixGroup {
    return withoutLocalMembers(g, this.d.local.users());
  }

  /** The gids a user belongs to (primary first), without groups the host's own files shadow. */
  async initgroups(q: NameQuery): Promise<number[] | undefined> {
    const a = await this.user(q);
    if (!a) return undefined;
    return visibleGids(a, this.d.local.groups());
  }

  /** Hides a directory user whose name or uid a local user already has. */
  hiddenUser(a: Pick<UnixAccount, 'uuid' | 'name' | 'spn' | 'uidnumber'>): boolean {
    return this.hidden('user', this.d.local.users(), a, a.uidnumber);
  }

  /** Hides a directory group whose name or gid a local group already has. */
  hiddenGroup(g: UnixGroup): boolean {
    return this.hidden('group', this.d.local.groups(), g, g.gidnumber);
  }

  private hidden(what: 'user' | 'group', local: IdSet, e: { uuid: string; name: string; spn: string }, num: number): boolean {
    const clash = localClash(local, e, num, what === 'user' ? 'uid' : 'gid');
    if (clash) this.d.log.once(`hidden-${what}:${e.uuid}:${clash}`, 'warn', `directory ${what} ${e.spn} is hidden: a local ${what} has the same ${clash}`);
    return clash !== undefined;
  }

  /** Stores an account the IdP sent along another answer (a password check). */
  storeAccount(a: UnixAccount): void {
    this.d.cache.store.putAccount(a, Date.now());
  }

  /** Drops a cached account the IdP says is gone. */
  dropAccount(a: UnixAccount): void {
    this.d.cache.store.deleteAccount(a.uuid);
    this.negative.set(`u:name:${a.name}`, true);
  }

  private isStale(hit: Cached<unknown>): boolean {
    if (this.d.live?.()) return false;
    const age = Date.now() - hit.fetchedAt;
    return age >= this.ttlMs || age < 0;
  }

  private async resolve<T>(spec: Spec<T>): Promise<T | undefined> {
    const hit = spec.cached();
    if (hit) {
      if (this.isStale(hit) && this.d.conn.online) void this.start(spec, false);
      return hit.value;
    }
    if (this.negative.has(spec.key)) return undefined;
    const run = this.start(spec, true);
    // Offline or stalled: answer now; the request (if one was started) runs in the background.
    if (!run || !this.d.conn.answering) return undefined;
    const res = await withTimeout(run.job, run.waitUntil - Date.now());
    if (!res) {
      // The IdP let a lookup's whole wait pass: until it answers something, don't wait again.
      this.d.conn.stalled();
      return undefined;
    }
    return res.kind === 'found' ? res.value : undefined;
  }

  /** Starts (or joins) the IdP request for `spec`; undefined when too many are in flight. */
  private start<T>(spec: Spec<T>, miss: boolean): Inflight<T> | undefined {
    const running = this.inflight.get(spec.key);
    if (running) return running as Inflight<T>;
    if (this.inflight.size >= MAX_INFLIGHT) {
      this.d.log.once('inflight-cap', 'warn', `${MAX_INFLIGHT} IdP requests in flight; answering further unknown names from the cache only`);
      return undefined;
    }
    const job = (async (): Promise<Fetched<T>> => {
      let res: Fetched<T>;
      try {
        res = await spec.fetch();
      } catch (e) {
        res = { kind: 'unreachable', why: (e as Error).message };
      }
      if (res.kind === 'unreachable') {
        this.d.conn.down(res.why);
        // Ask again about this unknown name only after negative_ttl; a cached entry keeps serving.
        if (miss) this.negative.set(spec.key, true);
      } else {
        this.d.conn.up();
        if (res.kind === 'gone') this.negative.set(spec.key, true);
        else this.negative.delete(spec.key);
      }
      return res;
    })().finally(() => this.inflight.delete(spec.key));
    const run: Inflight<T> = { job, waitUntil: Date.now() + this.waitMs };
    this.inflight.set(spec.key, run as Inflight<unknown>);
    return run;
  }

  private accountSpec(by: 'name' | 'spn' | 'uid', key: string | number): Spec<UnixAccount> {
    const cached = () => this.d.cache.account(by, key);
    return {
      key: `u:${by}:${key}`,
      cached,
      fetch: () => this.fetchAccount(String(key), cached()?.value),
    };
  }

  private async fetchAccount(ref: string, current: UnixAccount | undefined): Promise<Fetched<UnixAccount>> {
    const res = await this.d.idp.account(ref);
    if (res.kind === 'found') this.d.cache.store.putAccount(res.value, Date.now());
    else if (res.kind === 'gone' && current) {
      this.d.log.info(`the IdP no longer has user ${current.spn}; removed it from the cache`);
      this.d.cache.store.deleteAccount(current.uuid);
    }
    return res;
  }

  /**
   * Groups come from the group table, or are an account's implicit private group when no real
   * group has that gid (the IdP keeps one namespace for accounts and groups, so names never clash).
   */
  private groupSpec(q: NameQuery | { by: 'gid'; key: number }): Spec<UnixGroup> {
    const cache = this.d.cache;
    const cachedPrivate = (): Cached<UnixGroup> | undefined => {
      const owner = q.by === 'gid' ? cache.account('uid', q.key) : cache.account(q.by, q.key);
      const pg = owner && privateGroupOf(owner.value);
      if (!owner || !pg || cache.group('gid', pg.gidnumber)) return undefined;
      return { value: pg, fetchedAt: owner.fetchedAt };
    };
    const cached = () => cache.group(q.by, q.key) ?? cachedPrivate();
    return {
      key: `g:${q.by}:${q.key}`,
      cached,
      fetch: async () => {
        const current = cached()?.value;
        const ref = String(q.key);
        if (current && !cache.group('uuid', current.uuid)) return this.fetchPrivateGroup(ref, current);
        const res = await this.d.idp.group(ref);
        if (res.kind === 'found') cache.store.putGroup(res.value, Date.now());
        if (res.kind !== 'gone') return res;
        if (current) {
          this.d.log.info(`the IdP no longer has group ${current.spn}; removed it from the cache`);
          cache.store.deleteGroup(current.uuid);
        }
        return this.fetchPrivateGroup(ref, undefined);
      },
    };
  }

  private async fetchPrivateGroup(ref: string, current: UnixGroup | undefined): Promise<Fetched<UnixGroup>> {
    const owner = current ? this.d.cache.account('uuid', current.uuid)?.value : undefined;
    const res = await this.fetchAccount(ref, owner);
    if (res.kind !== 'found') return res;
    const pg = privateGroupOf(res.value);
    return pg ? { kind: 'found', value: pg } : { kind: 'gone', why: `${ref} is a user without a private group` };
  }
}

/** An IdP request in flight, and until when a lookup may wait for it. */
interface Inflight<T> {
  job: Promise<Fetched<T>>;
  waitUntil: number;
}

/**
 * Whether the host's own file holds this name or number. An SPN counts by its name part: a
 * directory entry's SPN is always `name@domain`, and that name would hide it.
 */
function isLocal(local: IdSet, q: NameQuery | NumberQuery): boolean {
  if (typeof q.key === 'number') return local.ids.has(q.key);
  return local.names.has(q.key) || (q.by === 'spn' && local.names.has(q.key.slice(0, q.key.indexOf('@'))));
}

function matchesAccount(a: UnixAccount, q: NameQuery | { by: 'uid'; key: number }): boolean {
  return q.by === 'uid' ? a.uidnumber === q.key : q.by === 'name' ? a.name === q.key : a.spn === q.key;
}

function matchesGroup(g: UnixGroup, q: NameQuery | { by: 'gid'; key: number }): boolean {
  return q.by === 'gid' ? g.gidnumber === q.key : q.by === 'name' ? g.name === q.key : g.spn === q.key;
}

/** The job's result, or undefined if it has not settled within `ms` (the job keeps running). */
function withTimeout<T>(job: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    job.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
