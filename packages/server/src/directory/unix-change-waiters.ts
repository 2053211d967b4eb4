/**
 * The long poll's waiting room: hosts whose cursor is at the head wait here until the log moves
 * past it, their time is up, their connection closes, or the server shuts down.
 *
 * An idle host costs a Set entry and a promise. There is no timer per waiter: one shared tick
 * (TICK_MS), running only while someone waits, ends the waits whose time is up and notices what
 * this process cannot be told about, commits of other processes and expiries (catchUp, a PRAGMA
 * data_version and a comparison when nothing happened). A commit in this process wakes waiters at
 * once through the directory's after-commit hook (wake()).
 */

/** The shared tick: how late a wait may end, and how soon another process's commit is seen. */
export const TICK_MS = 500;

interface Waiter {
  since: number;
  deadline: number;
  done: () => void;
}

export class UnixChangeWaiters {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly head: () => number,
    /** Looks for changes this process did not make itself (they end up in wake()). */
    private readonly catchUp: () => void,
  ) {}

  /** How many requests are waiting now. */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Resolves when the log's head passes `since`, after `ms`, when `signal` aborts, or at close(),
   * whichever comes first. Never rejects.
   */
  wait(since: number, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted || ms <= 0 || this.head() > since) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        since,
        deadline: Date.now() + ms,
        done: () => {
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', waiter.done);
          if (this.waiters.size === 0) this.stopTimer();
          resolve();
        },
      };
      signal?.addEventListener('abort', waiter.done, { once: true });
      this.waiters.add(waiter);
      this.timer ??= setInterval(() => this.tick(), TICK_MS).unref(); // open requests keep the process alive, not this
    });
  }

  /** The log may have moved: release everyone it moved past. */
  wake(): void {
    if (this.waiters.size === 0) return;
    let head: number;
    try {
      head = this.head();
    } catch {
      return; // the store is closing; close() releases everyone
    }
    for (const waiter of [...this.waiters]) if (waiter.since < head) waiter.done();
  }

  /** Releases every waiter and answers every later wait at once (server shutdown). */
  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.done();
    this.stopTimer();
  }

  private tick(): void {
    try {
      this.catchUp();
    } catch {
      // A busy or closing store: try again next tick; deadlines below still end waits.
    }
    this.wake();
    const now = Date.now();
    for (const waiter of [...this.waiters]) if (waiter.deadline <= now) waiter.done();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
