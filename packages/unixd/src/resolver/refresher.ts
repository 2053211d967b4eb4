/**
 * Keeps the cache complete and fresh: a full listing of accounts and groups from the IdP every
 * cache_ttl / 2 (so entries are renewed before they go stale), at start, on demand (invalidate,
 * SIGHUP) and when the IdP comes back. While the IdP is offline it checks every
 * OFFLINE_RETRY_MS with a cheap status call, and lists everything again once it answers.
 *
 * Runs in the background only: no lookup ever waits for a listing. One listing at a time.
 */
import type { CacheStore } from '../cache/store.js';
import type { IdpSource } from '../idp/source.js';
import type { Logger } from '../log.js';
import type { Connectivity } from './connectivity.js';

export const OFFLINE_RETRY_MS = 10_000;

export class Refresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private stopped = false;
  private refreshedOnce = false;

  constructor(
    private readonly store: CacheStore,
    private readonly idp: IdpSource,
    private readonly conn: Connectivity,
    private readonly cacheTtlSeconds: number,
    private readonly log: Logger,
    /** Called after each complete listing was stored. */
    private readonly onRefreshed: () => void,
  ) {
    conn.onReconnect(() => void this.refresh());
    // A lookup that finds the IdP gone must not leave the next check cache_ttl / 2 away (the
    // timer armed while online): probe every OFFLINE_RETRY_MS from now on. A listing in
    // progress re-arms the timer itself when it ends.
    conn.onDisconnect(() => {
      if (!this.running) this.schedule();
    });
  }

  start(): void {
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The listing in progress, if any. */
  get inProgress(): Promise<boolean> | undefined {
    return this.running;
  }

  /** Lists everything now (or joins the listing in progress); true when the cache was replaced. */
  refresh(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    this.running ??= this.run().catch((e: Error) => {
      // A failing store (disk full, I/O error) must not take the daemon down: the old cache serves.
      this.log.error(`cache refresh failed: ${e.message}`);
      return false;
    }).finally(() => {
      this.running = undefined;
      this.schedule();
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const interval = (this.cacheTtlSeconds * 1000) / 2;
    const next = this.conn.online ? interval : Math.min(interval, OFFLINE_RETRY_MS);
    this.timer = setTimeout(() => void this.tick(), next);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.conn.online) {
      await this.refresh();
      return;
    }
    // Offline: a status call is cheap; a successful one flips us online, which lists everything.
    let answered = false;
    try {
      answered = await this.idp.reachable();
      if (answered) this.conn.up();
    } finally {
      // The next tick must always be armed: when a lookup brought the IdP back during the probe,
      // up() above is not a transition and starts no listing, so nothing else would re-arm it.
      if (!this.running) this.schedule();
    }
  }

  private async run(): Promise<boolean> {
    const started = Date.now();
    const [accounts, groups] = await Promise.all([this.idp.listAccounts(), this.idp.listGroups()]);
    if (this.stopped) return false;
    if (accounts.kind !== 'found' || groups.kind !== 'found') {
      const why = accounts.kind === 'unreachable' ? accounts.why : groups.kind === 'unreachable' ? groups.why : 'no listing';
      this.conn.down(why);
      return false;
    }
    this.store.replaceAll(accounts.value, groups.value, started);
    const msg = `cache refreshed: ${accounts.value.length} users, ${groups.value.length} groups in ${Date.now() - started} ms`;
    if (this.refreshedOnce) this.log.debug(msg);
    else this.log.info(msg);
    this.refreshedOnce = true;
    this.conn.up();
    this.onRefreshed();
    return true;
  }
}
