/** The in-memory cache fake behaves like the stores it stands in for. */
import { MemoryCacheStore } from '../support/memory-cache.js';
import { describeCacheStoreConformance } from './cache-store-conformance.js';

describeCacheStoreConformance('in-memory fake', {
  open: async (now) => new MemoryCacheStore(now),
  close: async () => {},
});
