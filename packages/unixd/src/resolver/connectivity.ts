/**
 * Whether the IdP is answering, as last observed. Every IdP call reports its outcome here; the
 * resolver reads it to decide whether a lookup of an unknown entry may wait for the IdP at all
 * (offline: it answers at once from the cache), and `ward-unix status` shows it.
 *
 * Transitions are logged once each way; going back online triggers a full refresh.
 */
import type { Logger } from '../log.js';

export class Connectivity {
  /** Optimistic at start: the first failure flips it. */
  private isOnline = true;
  private changedAt = Date.now();
  private lastProblem: string | undefined;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly log: Logger) {}

  get online(): boolean {
    return this.isOnline;
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

  up(): void {
    if (this.isOnline) return;
    this.isOnline = true;
    this.changedAt = Date.now();
    this.lastProblem = undefined;
    this.log.info('the IdP answers again; back online');
    for (const fn of this.listeners) fn();
  }

  down(why: string): void {
    this.lastProblem = why;
    if (!this.isOnline) return;
    this.isOnline = false;
    this.changedAt = Date.now();
    this.log.warn(`the IdP is unreachable (${why}); serving from the cache`);
  }
}
