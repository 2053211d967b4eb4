/**
 * The offline guessing throttle. Offline, the only thing between a local attacker and a user's
 * password is the cached argon2id hash; without a limit a script checks a guess every ~50 ms
 * through PAM. Per account: from the OFFLINE_FREE_FAILURES-th wrong password in a row on, each
 * one closes the account's offline check for a doubling delay (1 s, 2 s, 4 s, ... at most
 * OFFLINE_MAX_DELAY_MS), so two typos cost a user nothing. While closed, a check is refused without
 * hashing (AUTH_FAILED, the same answer as a wrong password, so it tells a guesser nothing).
 * A right password (online or offline) clears the account's count. Kept in memory (bounded):
 * a restart of the daemon is no cheaper than waiting for most delays.
 */
import { LRUCache } from 'lru-cache';

export const OFFLINE_FREE_FAILURES = 3;
export const OFFLINE_BASE_DELAY_MS = 1000;
export const OFFLINE_MAX_DELAY_MS = 300_000;

interface Record {
  failures: number;
  until: number;
}

export class OfflineThrottle {
  private readonly byAccount = new LRUCache<string, Record>({ max: 16384 });

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until the account's offline check opens again; 0 when open. */
  closedFor(uuid: string): number {
    const r = this.byAccount.get(uuid);
    return r ? Math.max(0, r.until - this.now()) : 0;
  }

  failed(uuid: string): void {
    const r = this.byAccount.get(uuid) ?? { failures: 0, until: 0 };
    r.failures++;
    const over = r.failures - OFFLINE_FREE_FAILURES;
    if (over >= 0) r.until = this.now() + Math.min(OFFLINE_MAX_DELAY_MS, OFFLINE_BASE_DELAY_MS * 2 ** Math.min(over, 20));
    this.byAccount.set(uuid, r);
  }

  succeeded(uuid: string): void {
    this.byAccount.delete(uuid);
  }
}
