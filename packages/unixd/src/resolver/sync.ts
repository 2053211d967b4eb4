/**
 * Keeps the cache a copy of the IdP's unix view by following its change log (the protocol is
 * described once, in @ward/proto's api/unix.ts):
 *
 * 1. With no stored cursor (first start, after cache-clear, a listing cut short, or when the IdP
 *    answers `resync`), list every account then every group page by page, keep the FIRST page's
 *    cursor, then sweep away what the listing did not contain (offline password hashes of
 *    accounts still present are kept). The cursor is stored only once the listing is complete.
 * 2. Then long-poll the changes since the cursor, forever: each page is applied as upserts and
 *    deletes, the new cursor stored in the same transaction as the page's last chunk, so a
 *    restarted daemon resumes where it stopped instead of listing everything again. `more`:
 *    ask again at once.
 *
 * Nothing here may stall lookups: every page is written in chunks of WRITE_CHUNK entries, each
 * its own short transaction, with a turn of the event loop between chunks.
 *
 * Failures (no answer, a 5xx, a page that is not one) take the host offline (connectivity.ts:
 * lookups keep being served from the cache) and the loop retries with exponential backoff and
 * full jitter, at most OFFLINE_RETRY_MS apart, first with a cheap bounded status call (a hung
 * IdP must not hold a reconnect for a whole long poll). A lookup that finds the IdP gone cuts the
 * long poll (its connection is suspect) and starts the same probing; a lookup that finds the
 * IdP back wakes the loop at once.
 *
 * An IdP that does not serve the sync routes (older than this host, a 404) is "unsupported":
 * the host stays online, lookups refresh entries by age (resolver.ts), and sync is tried again
 * every UNSUPPORTED_RETRY_MS.
 */
import type { CacheStore } from '../cache/store.js';
import { WRITE_CHUNK } from '../cache/store.js';
import type { ChangePage, Fetched, IdpSource, Page } from '../idp/source.js';
import type { Logger } from '../log.js';
import type { Connectivity } from './connectivity.js';

/** While offline, the longest pause between two attempts to reach the IdP. */
export const OFFLINE_RETRY_MS = 10_000;
/** The first retry's window; doubled per failure up to OFFLINE_RETRY_MS. */
export const RETRY_BASE_MS = 500;
/** Entries per listing page asked of the IdP (a page is parsed in one go: keep it small). */
export const LIST_PAGE = 200;
/** Long-poll waits, in seconds: spread so that hosts do not all ask at the same moment. */
export const POLL_WAIT_MIN_S = 25;
export const POLL_WAIT_MAX_S = 55;
const UNSUPPORTED_RETRY_MS = 300_000;
const STOP_WAIT_MS = 2000;

export type SyncState = 'starting' | 'listing' | 'live' | 'offline' | 'unsupported' | 'stopped';

/** Full jitter: a uniformly random pause in [0, min(cap, base * 2^failures)). */
export function backoffMs(failures: number, rand: () => number = Math.random): number {
  return Math.floor(rand() * Math.min(OFFLINE_RETRY_MS, RETRY_BASE_MS * 2 ** Math.min(failures, 20)));
}

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += WRITE_CHUNK) out.push(items.slice(i, i + WRITE_CHUNK));
  return out;
}

/** Why a step ended: to be retried after a pause, or with a full listing. */
type Outcome = { kind: 'failed'; why: string } | { kind: 'unsupported'; why: string } | { kind: 'resync' } | { kind: 'stopped' };

export class SyncClient {
  state: SyncState = 'starting';
  /** When a change page with entries was last applied, or a listing completed (ms). */
  lastChangeAt: number | undefined;
  private stopped = false;
  private resyncWanted = false;
  private failures = 0;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** The longest single cache write since the last report (ms): what sync could stall lookups by. */
  private longestWrite = 0;

  constructor(
    private readonly store: CacheStore,
    private readonly idp: IdpSource,
    private readonly conn: Connectivity,
    private readonly log: Logger,
    /** Called after each complete listing. */
    private readonly onListed: () => void,
  ) {
    conn.onReconnect(() => this.wake?.());
    conn.onDisconnect(() => {
      if (this.state === 'live') idp.cutPoll();
    });
  }

  /** Whether the cache is following the change log right now (entries are current). */
  get live(): boolean {
    return this.state === 'live';
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the loop: the long poll is cut at once; a listing page in flight ends with the IdP client. */
  stop(): void {
    this.stopped = true;
    this.state = 'stopped';
    this.idp.cutPoll();
    this.wake?.();
  }

  /**
   * Resolves when the loop has ended after stop(), or after STOP_WAIT_MS when a request to a hung
   * IdP still holds it (a write it would make then fails on the closed store and is only logged).
   */
  async done(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Lists everything again in the background (cache-invalidate, SIGHUP, cache-clear). */
  resync(): void {
    this.resyncWanted = true;
    if (this.state === 'live') this.idp.cutPoll();
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let out: Outcome;
      try {
        out = await this.step();
      } catch (e) {
        if (this.stopped) break;
        // A failing store (disk full, I/O error) must not take the daemon down: the cache serves.
        this.log.error(`sync failed: ${(e as Error).message}`);
        out = { kind: 'failed', why: (e as Error).message };
      }
      if (out.kind === 'stopped') break;
      if (out.kind === 'resync') continue;
      if (out.kind === 'unsupported') {
        this.state = 'unsupported';
        this.log.once('sync-unsupported', 'error', `the IdP does not serve incremental sync (${out.why}): entries are refreshed one by one as they age; upgrade wardd`);
        await this.pause(UNSUPPORTED_RETRY_MS);
        continue;
      }
      this.failures++;
      if (this.state !== 'offline') this.log.warn(`sync interrupted: ${out.why}`);
      this.state = 'offline';
      await this.pause(backoffMs(this.failures));
    }
    this.state = 'stopped';
  }

  /** One attempt: reconnect if needed, list if needed, then follow changes until something ends it. */
  private async step(): Promise<Outcome> {
    if (this.failures > 0 || !this.conn.online) {
      // The probe is bounded by idp_timeout_ms: a hung IdP is retried, not waited on for a whole poll.
      if (!(await this.idp.reachable())) {
        this.conn.down('no answer to a status call');
        return { kind: 'failed', why: 'the IdP does not answer' };
      }
      if (this.stopped) return { kind: 'stopped' };
      this.conn.up();
    }
    let cursor = this.resyncWanted ? undefined : this.store.cursor();
    if (cursor === undefined) {
      this.resyncWanted = false;
      const listed = await this.list();
      if (typeof listed !== 'string') return listed;
      cursor = listed;
    }
    return this.follow(cursor);
  }

  /** Lists everything; the first page's cursor, or why it stopped. */
  private async list(): Promise<string | Outcome> {
    this.state = 'listing';
    const started = Date.now();
    const mark = this.store.beginListing();
    let first: string | undefined;
    let users = 0;
    let groups = 0;
    for (const kind of ['account', 'group'] as const) {
      let after: string | undefined;
      do {
        const res: Fetched<Page<unknown>> = kind === 'account'
          ? await this.idp.accountPage(after, LIST_PAGE)
          : await this.idp.groupPage(after, LIST_PAGE);
        const bad = this.checkAnswer(res);
        if (bad) return bad;
        const page = (res as { value: Page<unknown> }).value;
        first ??= page.cursor;
        for (const chunk of chunks(page.items)) {
          if (kind === 'account') this.write(() => this.store.writeListed(chunk as never[], [], mark));
          else this.write(() => this.store.writeListed([], chunk as never[], mark));
          await yieldNow();
          if (this.stopped) return { kind: 'stopped' };
        }
        if (kind === 'account') users += page.items.length;
        else groups += page.items.length;
        if (page.next !== null && page.next === after) return { kind: 'failed', why: `the IdP sent the ${kind} page after ${after} again` };
        after = page.next ?? undefined;
        this.succeeded();
      } while (after !== undefined);
    }
    while (this.write(() => this.store.sweepListing(mark)) > 0) await yieldNow();
    this.write(() => this.store.finishListing(first!));
    this.lastChangeAt = Date.now();
    this.log.info(`listed the directory: ${users} users, ${groups} groups in ${Date.now() - started} ms `
      + `(longest cache write ${this.takeLongestWrite()} ms); following changes`);
    this.onListed();
    return first!;
  }

  /**
   * Long-polls changes from `cursor` until a failure, a resync or stop. Live from the first
   * request on: the poll is held open while nothing changes, and anything that goes wrong with
   * it (an error, a resync, a lookup finding the IdP gone) ends the live state.
   */
  private async follow(cursor: string): Promise<Outcome> {
    this.state = 'live';
    for (;;) {
      if (this.resyncWanted) return { kind: 'resync' };
      const wait = POLL_WAIT_MIN_S + Math.floor(Math.random() * (POLL_WAIT_MAX_S - POLL_WAIT_MIN_S + 1));
      const res = await this.idp.changes(cursor, wait);
      const bad = this.checkAnswer(res);
      if (bad) return bad;
      const page = (res as { value: ChangePage }).value;
      if (page.resync) {
        this.log.info('the IdP does not know this host\'s cursor (too old, or a restored IdP): listing everything again');
        this.resyncWanted = true;
        return { kind: 'resync' };
      }
      await this.apply(page);
      if (this.stopped) return { kind: 'stopped' };
      cursor = page.cursor;
      this.succeeded();
    }
  }

  /** Applies a change page in chunks; the cursor goes with the last one. */
  private async apply(page: ChangePage): Promise<void> {
    const parts = [
      ...chunks(page.deletedAccounts).map((c) => ({ accounts: [], groups: [], deletedAccounts: c, deletedGroups: [] })),
      ...chunks(page.deletedGroups).map((c) => ({ accounts: [], groups: [], deletedAccounts: [], deletedGroups: c })),
      ...chunks(page.accounts).map((c) => ({ accounts: c, groups: [], deletedAccounts: [], deletedGroups: [] })),
      ...chunks(page.groups).map((c) => ({ accounts: [], groups: c, deletedAccounts: [], deletedGroups: [] })),
    ];
    const n = page.accounts.length + page.groups.length + page.deletedAccounts.length + page.deletedGroups.length;
    if (n === 0) {
      this.store.applyChanges({ accounts: [], groups: [], deletedAccounts: [], deletedGroups: [] }, page.cursor);
      return;
    }
    for (const [i, part] of parts.entries()) {
      this.write(() => this.store.applyChanges(part, i === parts.length - 1 ? page.cursor : undefined));
      if (i < parts.length - 1) await yieldNow();
    }
    this.lastChangeAt = Date.now();
    this.log.debug(`applied ${n} changes (longest cache write ${this.takeLongestWrite()} ms)`);
  }

  /** A failure outcome for an unusable answer, else undefined. */
  private checkAnswer(res: Fetched<unknown>): Outcome | undefined {
    if (this.stopped) return { kind: 'stopped' };
    if (res.kind === 'gone') return { kind: 'unsupported', why: res.why };
    if (res.kind === 'unreachable') {
      if (this.resyncWanted) return { kind: 'resync' };
      this.conn.down(res.why);
      return { kind: 'failed', why: res.why };
    }
    return undefined;
  }

  /** Runs one cache write, keeping the longest time one took (a slow disk shows here). */
  private write<T>(fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.longestWrite = Math.max(this.longestWrite, performance.now() - t0);
    }
  }

  private takeLongestWrite(): number {
    const ms = Math.round(this.longestWrite);
    this.longestWrite = 0;
    return ms;
  }

  private succeeded(): void {
    this.failures = 0;
    this.conn.up();
  }

  /** Sleeps `ms`, or less when woken (stop, resync, the IdP found back by a lookup). */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
