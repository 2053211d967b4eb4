/**
 * The daemon's view of the IdP: the REST calls it needs (through WardClient), each answer
 * validated by sanitize.ts and sorted into what the resolver must do next:
 *   found        store it and serve it
 *   gone         the IdP says it does not exist (404, or it sent an entry we refuse): drop it
 *   unreachable  no usable answer (network, timeout, 5xx, our token refused): go offline and
 *                keep serving the cache
 *
 * Single-entry calls and password checks carry the `idp_timeout_ms` deadline; the sync pages
 * (listing pages and long-polled change pages, resolver/sync.ts) have their own connections and
 * deadlines and never block a lookup (they run in the background).
 */
import { WardClient } from '@ward/client';
import { UNIX_SYNC_MAX_WAIT_S, WardError, type UnixAccount, type UnixAuthResponse, type UnixGroup } from '@ward/proto';
import type { Logger } from '../log.js';
import { checkAccount, checkGroup, type Checked } from './sanitize.js';

/** One listing page (a few hundred entries) on a slow link or from a busy IdP. */
export const BULK_TIMEOUT_MS = 30_000;
/** Entries validated between two turns of the event loop. */
const CHECK_CHUNK = 100;
/** A long poll's deadline beyond the wait it asked the IdP to hold. */
const POLL_MARGIN_MS = 10_000;

/** A listing page, its entries validated (refused ones left out and logged). */
export interface Page<T> {
  cursor: string;
  items: T[];
  next: string | null;
}

/** A change page, validated: an entry this host refuses counts as deleted (its old copy must go). */
export interface ChangePage {
  cursor: string;
  resync: boolean;
  more: boolean;
  accounts: UnixAccount[];
  groups: UnixGroup[];
  deletedAccounts: string[];
  deletedGroups: string[];
}

export type Fetched<T> =
  | { kind: 'found'; value: T }
  | { kind: 'gone'; why: string }
  | { kind: 'unreachable'; why: string };

/**
 * `rejected` is the IdP's verdict "wrong password" and nothing else. `undecided`: the IdP answered
 * without a verdict (it rate-limits this account or source, or refused the request): that says
 * nothing about the password, so it must not touch the offline hash.
 */
export type AuthOutcome =
  | { kind: 'accepted'; account: UnixAccount | undefined }
  | { kind: 'rejected'; why: string }
  | { kind: 'undecided'; why: string; rateLimited: boolean }
  | { kind: 'gone'; why: string }
  | { kind: 'unreachable'; why: string };

export interface IdpOptions {
  url: string;
  caPath: string | null;
  token: string | undefined;
  timeoutMs: number;
}

/** Errors that say nothing about the entry, only that the IdP could not give a usable answer. */
const UNREACHABLE_CODES = new Set(['unavailable', 'internal', 'unauthenticated', 'token_invalid', 'forbidden', 'read_only_token']);

export class IdpSource {
  readonly url: string;
  private readonly client: WardClient;
  private readonly bulk: WardClient;
  /** The offline probe's own connection: never queued behind lookups hung on a stuck IdP. */
  private readonly probe: WardClient;
  private readonly timeoutMs: number;
  private readonly common: { url: string; caPath?: string; token?: string };
  /** The change long poll's connection, replaced by cutPoll(). */
  private poll: WardClient;

  constructor(opts: IdpOptions, private readonly log: Logger) {
    this.url = opts.url;
    const common = { url: opts.url, ...(opts.caPath ? { caPath: opts.caPath } : {}), ...(opts.token ? { token: opts.token } : {}) };
    this.client = new WardClient({ ...common, timeoutMs: opts.timeoutMs, maxSockets: 16 });
    this.bulk = new WardClient({ ...common, timeoutMs: Math.max(BULK_TIMEOUT_MS, opts.timeoutMs), maxSockets: 2 });
    // A separate agent: the lookup agent's sockets may all be held by requests to a hung IdP, and
    // a request queued behind them only fails once a socket frees, long after its deadline.
    this.probe = new WardClient({ ...common, timeoutMs: opts.timeoutMs, maxSockets: 1 });
    this.timeoutMs = opts.timeoutMs;
    this.common = common;
    this.poll = this.pollClient();
  }

  /** `ref`: a name, an spn, a uuid or a decimal uidnumber. */
  async account(ref: string): Promise<Fetched<UnixAccount>> {
    return this.one('unix_account_get', ref, checkAccount);
  }

  /** `ref`: a name, an spn, a uuid or a decimal gidnumber. */
  async group(ref: string): Promise<Fetched<UnixGroup>> {
    return this.one('unix_group_get', ref, checkGroup);
  }

  accountPage(after: string | undefined, limit: number): Promise<Fetched<Page<UnixAccount>>> {
    return this.page('unix_sync_accounts', after, limit, checkAccount);
  }

  groupPage(after: string | undefined, limit: number): Promise<Fetched<Page<UnixGroup>>> {
    return this.page('unix_sync_groups', after, limit, checkGroup);
  }

  /** What changed since `since`, the IdP holding an empty answer up to `waitS` seconds. */
  async changes(since: string, waitS: number): Promise<Fetched<ChangePage>> {
    let raw: unknown;
    try {
      raw = await this.poll.call('unix_sync_changes', { query: { since, wait: String(waitS) } });
    } catch (e) {
      return this.syncError(e, 'unix_sync_changes');
    }
    const r = raw as Record<string, unknown> | null;
    const arrays = ['accounts', 'groups', 'deleted_accounts', 'deleted_groups'] as const;
    if (!r || typeof r !== 'object' || typeof r['cursor'] !== 'string' || typeof r['resync'] !== 'boolean'
      || typeof r['more'] !== 'boolean' || arrays.some((k) => !Array.isArray(r[k]))) {
      return { kind: 'unreachable', why: 'unix_sync_changes: the IdP sent something that is not a change page' };
    }
    const deletedAccounts = (r['deleted_accounts'] as unknown[]).filter((u): u is string => typeof u === 'string');
    const deletedGroups = (r['deleted_groups'] as unknown[]).filter((u): u is string => typeof u === 'string');
    return {
      kind: 'found',
      value: {
        cursor: r['cursor'], resync: r['resync'], more: r['more'], deletedAccounts, deletedGroups,
        accounts: await this.checkAll('unix_sync_changes', r['accounts'] as unknown[], checkAccount, deletedAccounts),
        groups: await this.checkAll('unix_sync_changes', r['groups'] as unknown[], checkGroup, deletedGroups),
      },
    };
  }

  /** Drops the long poll's connection (the request in flight fails at once). */
  cutPoll(): void {
    this.poll.close();
    this.poll = this.pollClient();
  }

  /** Checks a unix password online. `ref` should be the account's uuid (stable across renames). */
  async authenticate(ref: string, password: string): Promise<AuthOutcome> {
    let res: UnixAuthResponse;
    try {
      res = await this.client.call<UnixAuthResponse>('unix_account_auth', { params: { id: ref }, body: { password } });
    } catch (e) {
      const err = this.classify(e, 'unix_account_auth');
      if (err.kind === 'unreachable' || err.kind === 'gone') return err;
      return { kind: 'undecided', why: err.why, rateLimited: e instanceof WardError && e.code === 'rate_limited' };
    }
    if (!res || typeof res !== 'object' || res.ok !== true) return { kind: 'rejected', why: 'the IdP refused the password' };
    if (!res.account) return { kind: 'accepted', account: undefined };
    const checked = checkAccount(res.account);
    if (!checked.ok) return { kind: 'gone', why: `the IdP sent an account we refuse: ${checked.problem}` };
    return { kind: 'accepted', account: checked.value };
  }

  /**
   * A cheap call telling whether the IdP answers at all. Always settles within idp_timeout_ms
   * (plus a margin): the offline probe must never wait forever, whatever the socket does.
   */
  async reachable(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeoutMs + 1000);
    });
    const call = this.probe.call('status').then(() => true, () => false);
    try {
      return await Promise.race([call, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.client.close();
    this.bulk.close();
    this.probe.close();
    this.poll.close();
  }

  private async one<T>(route: 'unix_account_get' | 'unix_group_get', ref: string, check: (raw: unknown) => Checked<T>): Promise<Fetched<T>> {
    let raw: unknown;
    try {
      raw = await this.client.call(route, { params: { id: ref } });
    } catch (e) {
      // The IdP answered but will not give this entry (not found, or a ref it refuses): for this
      // host the entry does not exist. Only `unreachable` means "keep what the cache has".
      const err = this.classify(e, route);
      return { kind: err.kind === 'unreachable' ? 'unreachable' : 'gone', why: err.why };
    }
    const checked = check(raw);
    if (!checked.ok) {
      this.log.warn(`the IdP sent an entry for ${JSON.stringify(ref)} that this host refuses: ${checked.problem}`);
      return { kind: 'gone', why: checked.problem };
    }
    this.logDropped(ref, checked.dropped);
    return { kind: 'found', value: checked.value };
  }

  private pollClient(): WardClient {
    return new WardClient({ ...this.common, timeoutMs: UNIX_SYNC_MAX_WAIT_S * 1000 + POLL_MARGIN_MS, maxSockets: 1 });
  }

  private async page<T>(route: 'unix_sync_accounts' | 'unix_sync_groups', after: string | undefined, limit: number, check: (raw: unknown) => Checked<T>): Promise<Fetched<Page<T>>> {
    let raw: unknown;
    try {
      raw = await this.bulk.call(route, { query: { ...(after === undefined ? {} : { after }), limit: String(limit) } });
    } catch (e) {
      return this.syncError(e, route);
    }
    const r = raw as Record<string, unknown> | null;
    if (!r || typeof r !== 'object' || typeof r['cursor'] !== 'string' || !Array.isArray(r['items'])
      || (r['next'] !== null && typeof r['next'] !== 'string')) {
      return { kind: 'unreachable', why: `${route}: the IdP sent something that is not a page` };
    }
    return { kind: 'found', value: { cursor: r['cursor'], next: r['next'] as string | null, items: await this.checkAll(route, r['items'], check) } };
  }

  /** A sync route the IdP does not know (404: an older wardd) is `gone`; anything else `unreachable`. */
  private syncError(e: unknown, route: string): { kind: 'gone' | 'unreachable'; why: string } {
    const err = this.classify(e, route);
    return { kind: err.kind === 'gone' ? 'gone' : 'unreachable', why: err.why };
  }

  /**
   * The entries of a list this host accepts; the uuids of refused ones go to `refused` when given.
   * A change page may hold thousands of entries: a turn of the event loop every CHECK_CHUNK, so
   * checking it never stalls lookups.
   */
  private async checkAll<T>(route: string, raw: unknown[], check: (raw: unknown) => Checked<T>, refused?: string[]): Promise<T[]> {
    const out: T[] = [];
    for (const [i, item] of raw.entries()) {
      if (i > 0 && i % CHECK_CHUNK === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const checked = check(item);
      const label = JSON.stringify((item as { name?: unknown } | null)?.name ?? '?');
      if (!checked.ok) {
        this.log.once(`refused:${route}:${label}:${checked.problem}`, 'warn', `ignoring the IdP entry ${label}: ${checked.problem}`);
        const uuid = (item as { uuid?: unknown } | null)?.uuid;
        if (refused && typeof uuid === 'string') refused.push(uuid);
        continue;
      }
      this.logDropped(label, checked.dropped);
      out.push(checked.value);
    }
    return out;
  }

  private classify(e: unknown, route: string): { kind: 'gone' | 'unreachable' | 'rejected'; why: string } {
    if (e instanceof WardError) {
      if (e.code === 'not_found') return { kind: 'gone', why: e.message };
      if (UNREACHABLE_CODES.has(e.code)) {
        if (e.code !== 'unavailable' && e.code !== 'internal') {
          this.log.once(`idp-refused:${e.code}`, 'error', `the IdP refused ${route}: ${e.code}: ${e.message} (check token_path)`);
        }
        return { kind: 'unreachable', why: `${e.code}: ${e.message}` };
      }
      return { kind: 'rejected', why: `${e.code}: ${e.message}` };
    }
    return { kind: 'unreachable', why: (e as Error)?.message ?? String(e) };
  }

  private logDropped(label: string, dropped: string[]): void {
    for (const d of dropped) this.log.once(`dropped:${label}:${d}`, 'warn', `IdP entry ${label}: ignoring ${d}`);
  }
}
