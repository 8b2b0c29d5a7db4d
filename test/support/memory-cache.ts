/** A response cache over an in-memory map: for parts that only read and write the cache. */
import { ResponseCache } from '../../src/cache/response-cache.js';
import { cacheEntrySize, type CacheBound, type CacheEntry, type CacheStore, type NewCacheEntry } from '../../src/store/store.js';

/**
 * The two cache methods a ResponseCache uses, kept in a Map: entries expire by the injected
 * clock and count their hits like a real store's; the least recently used go first past maxBytes.
 */
export class MemoryCacheStore implements CacheStore {
  readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly now: () => number = Date.now) {}

  async cacheGet(key: string, { ttlSeconds }: { ttlSeconds?: number | undefined }): Promise<CacheEntry | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (ttlSeconds !== undefined && entry.createdAt.getTime() < now - ttlSeconds * 1000) {
      this.entries.delete(key);
      return undefined;
    }
    const hit = { ...entry, lastHitAt: new Date(now), hitCount: entry.hitCount + 1 };
    this.entries.set(key, hit);
    return hit;
  }

  async cachePut(entry: NewCacheEntry, { maxBytes, keepBytes = maxBytes }: CacheBound = {}): Promise<void> {
    const now = new Date(this.now());
    const size = cacheEntrySize(entry);
    this.entries.set(entry.key, { ...entry, size, createdAt: now, lastHitAt: now, hitCount: 0 });
    if (maxBytes === undefined || keepBytes === undefined) return;
    const entries = [...this.entries.values()];
    if (entries.reduce((total, kept) => total + kept.size, 0) <= maxBytes) return;
    const newestFirst = entries.sort((a, b) => b.lastHitAt.getTime() - a.lastHitAt.getTime() || b.createdAt.getTime() - a.createdAt.getTime());
    let running = 0;
    for (const kept of newestFirst) {
      if (kept.size > keepBytes) {
        this.entries.delete(kept.key);
        continue;
      }
      running += kept.size;
      if (running > keepBytes) this.entries.delete(kept.key);
    }
  }
}

export function memoryCache(store: CacheStore = new MemoryCacheStore()): ResponseCache {
  return new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined });
}
