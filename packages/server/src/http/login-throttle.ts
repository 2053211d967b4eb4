/**
 * Slows down online password guessing. Failed logins are counted per (source address, name) and
 * per source address alone within a window; past the limit, further attempts are refused with
 * `rate_limited` before any password is checked, until the window ends. A success clears the
 * (source, name) count. Unknown names count like known ones, so the answer reveals nothing.
 *
 * In memory and bounded: the oldest counters are dropped first when the table is full, so a
 * flood of distinct names cannot grow the process. A restart forgets the counts, which is fine
 * for a brake (argon2's cost remains the floor).
 */
const MAX_ENTRIES = 50_000;

interface Counter {
  failures: number;
  resetAt: number;
}

export class LoginThrottle {
  private readonly counters = new Map<string, Counter>();

  /**
   * @param limit failures allowed per (source, name) within the window
   * @param windowMs the window, milliseconds
   * @param sourceFactor a single source may fail limit*sourceFactor times across all names; 0 turns
   *   the per-source count off (for the unix password check, where one host relays many users)
   */
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly sourceFactor: number,
  ) {}

  /** True when this attempt must be refused without checking the password. */
  blocked(source: string, name: string, now = Date.now()): boolean {
    if (this.over(`n\0${source}\0${name}`, this.limit, now)) return true;
    return this.sourceFactor > 0 && this.over(`s\0${source}`, this.limit * this.sourceFactor, now);
  }

  recordFailure(source: string, name: string, now = Date.now()): void {
    this.bump(`n\0${source}\0${name}`, now);
    if (this.sourceFactor > 0) this.bump(`s\0${source}`, now);
  }

  recordSuccess(source: string, name: string): void {
    this.counters.delete(`n\0${source}\0${name}`);
  }

  private over(key: string, limit: number, now: number): boolean {
    const c = this.counters.get(key);
    if (!c) return false;
    if (c.resetAt <= now) {
      this.counters.delete(key);
      return false;
    }
    return c.failures >= limit;
  }

  private bump(key: string, now: number): void {
    const c = this.counters.get(key);
    if (c && c.resetAt > now) {
      c.failures += 1;
      return;
    }
    this.counters.delete(key);
    if (this.counters.size >= MAX_ENTRIES) {
      const oldest = this.counters.keys().next().value;
      if (oldest !== undefined) this.counters.delete(oldest);
    }
    this.counters.set(key, { failures: 1, resetAt: now + this.windowMs });
  }
}
