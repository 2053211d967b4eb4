/**
 * The in-memory layer in front of the SQLite cache: an LRU (lru-cache), bounded in bytes, of recently used
 * entries, so a burst of lookups for the same user costs a Map hit instead of a query and a
 * JSON parse. It never holds anything the store does not: any write to the store (its
 * generation changes) empties it, and each entry also expires after the cache TTL.
 *
 * Entries are frozen: callers share them and must not change them.
 */
import { LRUCache } from 'lru-cache';
import type { UnixAccount, UnixGroup } from '@ward/proto';
import type { AccountKey, CacheStore, Cached, GroupKey } from './store.js';

/**
 * The layer's budget in bytes (estimated: a parsed entry takes about three times its JSON), so
 * that a directory of large groups cannot grow the heap: the hot users and groups of a host.
 */
export const MEMORY_CACHE_BYTES = 8 * 1024 * 1024;
const OVERHEAD = 256;

type Entry = Cached<UnixAccount> | Cached<UnixGroup>;

export class DirectoryCache {
  private readonly lru: LRUCache<string, Entry>;
  private generation: number;

  constructor(
    readonly store: CacheStore,
    ttlMs: number,
    maxBytes = MEMORY_CACHE_BYTES,
  ) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (e) => (e.bytes ?? OVERHEAD) * 3 + OVERHEAD,
      ttl: ttlMs,
      ttlAutopurge: false,
    });
    this.generation = store.generation;
  }

  account(by: AccountKey, key: string | number): Cached<UnixAccount> | undefined {
    return this.get(`a:${by}:${key}`, () => this.store.account(by, key)) as Cached<UnixAccount> | undefined;
  }

  group(by: GroupKey, key: string | number): Cached<UnixGroup> | undefined {
    return this.get(`g:${by}:${key}`, () => this.store.group(by, key)) as Cached<UnixGroup> | undefined;
  }

  get size(): number {
    return this.lru.size;
  }

  private get(key: string, load: () => Entry | undefined): Entry | undefined {
    if (this.generation !== this.store.generation) {
      this.lru.clear();
      this.generation = this.store.generation;
    }
    const hit = this.lru.get(key);
    if (hit) return hit;
    const loaded = load();
    if (!loaded) return undefined;
    Object.freeze(loaded.value);
    const entry = Object.freeze(loaded);
    this.lru.set(key, entry);
    return entry;
  }
}
