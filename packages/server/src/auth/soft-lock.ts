/**
 * The soft lock: brute-force protection per account (issue 5 item 5). Failed password, TOTP and
 * backup-code attempts are counted per account, from every source address together. From the
 * `threshold`-th failure on, each failure locks those mechanisms on that account for
 * base * 2^(failures - threshold) seconds, capped at `max`. While locked, attempts are refused
 * without checking anything and do not count, so nobody can lengthen a lock beyond `max` by
 * hammering it. A successful sign-in clears the count; so does a quiet period of ten times `max`.
 *
 * It never locks the owner out for good (at most `max` seconds after the last failure they may
 * try again), and it does not apply to passkey sign-in at all: an attacker who knows a name can
 * slow down password sign-in for that account, but never its passkey sign-in.
 *
 * Unknown names are counted under their name like known accounts under their uuid, so a lock
 * answers the same for both. In memory and bounded (the oldest entries go first); a restart
 * forgets the counts, which argon2's cost makes acceptable.
 */
const MAX_ENTRIES = 50_000;

export interface SoftLockOptions {
  threshold: number;
  baseSeconds: number;
  maxSeconds: number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

export class SoftLock {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: SoftLockOptions) {}

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastFailure > this.opts.maxSeconds * 10_000) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Seconds until attempts on `key` are accepted again; 0 when not locked. */
  lockedFor(key: string, now = Date.now()): number {
    const e = this.live(key, now);
    return e && e.lockedUntil > now ? Math.ceil((e.lockedUntil - now) / 1000) : 0;
  }

  /** Counts a failure; returns the lock it started in seconds (0: none yet). */
  failure(key: string, now = Date.now()): number {
    let e = this.live(key, now);
    if (!e) {
      if (this.entries.size >= MAX_ENTRIES) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      e = { failures: 0, lastFailure: now, lockedUntil: 0 };
      this.entries.set(key, e);
    }
    if (e.lockedUntil > now) return 0; // refused attempts are not failures
    e.failures += 1;
    e.lastFailure = now;
    const over = e.failures - this.opts.threshold;
    if (over < 0) return 0;
    const seconds = Math.min(this.opts.maxSeconds, this.opts.baseSeconds * 2 ** Math.min(over, 30));
    e.lockedUntil = now + seconds * 1000;
    return seconds;
  }

  success(key: string): void {
    this.entries.delete(key);
  }
}
