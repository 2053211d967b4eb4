/**
 * The daemon's view of the IdP: the REST calls it needs (through WardClient), each answer
 * validated by sanitize.ts and sorted into what the resolver must do next:
 *   found        store it and serve it
 *   gone         the IdP says it does not exist (404, or it sent an entry we refuse): drop it
 *   unreachable  no usable answer (network, timeout, 5xx, our token refused): go offline and
 *                keep serving the cache
 *
 * Single-entry calls and password checks carry the `idp_timeout_ms` deadline; the bulk
 * listings, which may hold tens of thousands of entries, get a longer one (BULK_TIMEOUT_MS) and
 * never block a lookup (they run in the background).
 */
import { WardClient } from '@ward/client';
import { WardError, type UnixAccount, type UnixAuthResponse, type UnixGroup } from '@ward/proto';
import type { Logger } from '../log.js';
import { checkAccount, checkGroup, type Checked } from './sanitize.js';

/** A complete listing of a large directory takes a few seconds on a slow link. */
export const BULK_TIMEOUT_MS = 30_000;

export type Fetched<T> =
  | { kind: 'found'; value: T }
  | { kind: 'gone'; why: string }
  | { kind: 'unreachable'; why: string };

export type AuthOutcome =
  | { kind: 'accepted'; account: UnixAccount | undefined }
  | { kind: 'rejected'; why: string }
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

  constructor(opts: IdpOptions, private readonly log: Logger) {
    this.url = opts.url;
    const common = { url: opts.url, ...(opts.caPath ? { caPath: opts.caPath } : {}), ...(opts.token ? { token: opts.token } : {}) };
    this.client = new WardClient({ ...common, timeoutMs: opts.timeoutMs, maxSockets: 16 });
    this.bulk = new WardClient({ ...common, timeoutMs: Math.max(BULK_TIMEOUT_MS, opts.timeoutMs), maxSockets: 2 });
    // A separate agent: the lookup agent's sockets may all be held by requests to a hung IdP, and
    // a request queued behind them only fails once a socket frees, long after its deadline.
    this.probe = new WardClient({ ...common, timeoutMs: opts.timeoutMs, maxSockets: 1 });
    this.timeoutMs = opts.timeoutMs;
  }

  /** `ref`: a name, an spn, a uuid or a decimal uidnumber. */
  async account(ref: string): Promise<Fetched<UnixAccount>> {
    return this.one('unix_account_get', ref, checkAccount);
  }

  /** `ref`: a name, an spn, a uuid or a decimal gidnumber. */
  async group(ref: string): Promise<Fetched<UnixGroup>> {
    return this.one('unix_group_get', ref, checkGroup);
  }

  async listAccounts(): Promise<Fetched<UnixAccount[]>> {
    return this.list('unix_account_list', checkAccount);
  }

  async listGroups(): Promise<Fetched<UnixGroup[]>> {
    return this.list('unix_group_list', checkGroup);
  }

  /** Checks a unix password online. `ref` should be the account's uuid (stable across renames). */
  async authenticate(ref: string, password: string): Promise<AuthOutcome> {
    let res: UnixAuthResponse;
    try {
      res = await this.client.call<UnixAuthResponse>('unix_account_auth', { params: { id: ref }, body: { password } });
    } catch (e) {
      const err = this.classify(e, 'unix_account_auth');
      if (err.kind === 'unreachable' || err.kind === 'gone') return err;
      return { kind: 'rejected', why: err.why };
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

  private async list<T>(route: 'unix_account_list' | 'unix_group_list', check: (raw: unknown) => Checked<T>): Promise<Fetched<T[]>> {
    let raw: unknown;
    try {
      raw = await this.bulk.call(route);
    } catch (e) {
      return { kind: 'unreachable', why: this.classify(e, route).why };
    }
    if (!Array.isArray(raw)) return { kind: 'unreachable', why: `${route}: the IdP did not send a list` };
    const out: T[] = [];
    for (const item of raw) {
      const checked = check(item);
      const label = JSON.stringify((item as { name?: unknown } | null)?.name ?? '?');
      if (!checked.ok) {
        this.log.once(`refused:${route}:${label}:${checked.problem}`, 'warn', `ignoring the IdP entry ${label}: ${checked.problem}`);
        continue;
      }
      this.logDropped(label, checked.dropped);
      out.push(checked.value);
    }
    return { kind: 'found', value: out };
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
