/** A response cache over an in-memory map: for parts that only read and write the cache. */
import { ResponseCache } from '../../src/cache/response-cache.js';
import type { Store } from '../../src/store/store.js';

export function memoryCache(): ResponseCache {
  const entries = new Map<string, any>();
  // Only the two cache methods are ever called (issue 11 narrows ResponseCache to them).
  const store = {
    cacheGet: async (key: string) => entries.get(key),
    cachePut: async (entry: any) => void entries.set(entry.key, entry),
  } as unknown as Store;
  return new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined });
}
