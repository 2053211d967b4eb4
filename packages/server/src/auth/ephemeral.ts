/**
 * Short-lived server-side state kept in memory: auth sessions of the sign-in flow and credential
 * update sessions. Each entry has an expiry; expired entries are invisible and swept on writes.
 * The map is bounded: past `max` entries the oldest is dropped, so a flood of `begin` calls costs
 * memory up to a fixed ceiling and then only evicts the flooder's own oldest entries. Ids are 24
 * random bytes in base64url, unguessable. A restart forgets everything (people start again).
 */
import { randomBytes } from 'node:crypto';

export class EphemeralStore<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  constructor(private readonly max: number) {}

  /** Stores `value` under a new id until `expiresAt` (epoch ms). */
  add(value: T, expiresAt: number): string {
    const id = randomBytes(24).toString('base64url');
    this.sweep();
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, { value, expiresAt });
    return id;
  }

  get(id: string, now = Date.now()): T | undefined {
    if (typeof id !== 'string') return undefined;
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(id);
      return undefined;
    }
    return e.value;
  }

  expiresAt(id: string): number | undefined {
    return this.entries.get(id)?.expiresAt;
  }

  setExpiry(id: string, expiresAt: number): void {
    const e = this.entries.get(id);
    if (e) e.expiresAt = expiresAt;
  }

  /** Removes and returns the entry (undefined when absent or expired). */
  take(id: string): T | undefined {
    const value = this.get(id);
    this.entries.delete(id);
    return value;
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  /** Removes every entry whose value matches; returns how many. */
  deleteWhere(match: (value: T) => boolean): number {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (!match(e.value)) continue;
      this.entries.delete(id);
      n++;
    }
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(now = Date.now()): void {
    // Insertion order is roughly expiry order: stop at the first live entry.
    for (const [id, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.entries.delete(id);
    }
  }
}
