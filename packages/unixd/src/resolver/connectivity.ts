/**
 * Whether the IdP is answering, as last observed. Every IdP call reports its outcome here; the
 * resolver reads it to decide whether a lookup of an unknown entry may wait for the IdP at all
 * (offline: it answers at once from the cache), and `ward-unix status` shows it.
 *
 * Transitions are logged once each way; going back online triggers a full refresh, going
 * offline arms the refresher's offline probe (whoever noticed: a lookup, a login or a listing).
 *
 * Between "online" and "offline" there is "stalled": a lookup waited its whole bounded wait and
 * the request is still out (a hung IdP accepts connections and never answers). Until the IdP
 * answers anything (up) or that request reaches its own deadline (down), further lookups of
 * unknown entries do not wait: otherwise each would pay the full wait during the seconds before
 * the deadline declares the IdP offline. Stalled is not a transition: no log line, and no full
 * refresh when it clears, so a merely slow IdP does not cause a listing per late answer.
 */
import type { Logger } from '../log.js';

export class Connectivity {
  /** Optimistic at start: the first failure flips it. */
  private isOnline = true;
  private changedAt = Date.now();
  private lastProblem: string | undefined;
  private isStalled = false;
  private readonly listeners: Array<() => void> = [];
  private readonly downListeners: Array<() => void> = [];

  constructor(private readonly log: Logger) {}

  get online(): boolean {
    return this.isOnline;
  }

  /** Whether a lookup of an unknown entry may wait for the IdP: online and not stalled. */
  get answering(): boolean {
    return this.isOnline && !this.isStalled;
  }

  get since(): number {
    return this.changedAt;
  }

  get problem(): string | undefined {
    return this.lastProblem;
  }

  /** Called when the IdP comes back after being offline. */
  onReconnect(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Called when the IdP stops answering after being online. */
  onDisconnect(fn: () => void): void {
    this.downListeners.push(fn);
  }

  /** A request outlived a lookup's wait unanswered (see the header). */
  stalled(): void {
    this.isStalled = true;
  }

  up(): void {
    this.isStalled = false;
    if (this.isOnline) return;
    this.isOnline = true;
    this.changedAt = Date.now();
    this.lastProblem = undefined;
    this.log.info('the IdP answers again; back online');
    for (const fn of this.listeners) fn();
  }

  down(why: string): void {
    this.isStalled = false;
    this.lastProblem = why;
    if (!this.isOnline) return;
    this.isOnline = false;
    this.changedAt = Date.now();
    this.log.warn(`the IdP is unreachable (${why}); serving from the cache`);
    for (const fn of this.downListeners) fn();
  }
}
