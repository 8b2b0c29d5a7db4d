/**
 * The behaviour of the two cache methods (CacheStore), for every store and for the in-memory
 * fake the tests pass to a ResponseCache: expiry by the injected clock and the size bound.
 */
import { describe, expect, it } from 'vitest';
import type { CacheStore } from '../../src/store/store.js';
import { closedAfterEach } from './closed-after-each.js';

export interface CacheStoreFactory<S extends CacheStore> {
  /** A new, empty cache; `now` drives its clock in milliseconds. */
  open(now: () => number): Promise<S>;
  close(store: S): Promise<void>;
}

export function describeCacheStoreConformance<S extends CacheStore>(name: string, factory: CacheStoreFactory<S>): void {
  describe(`${name} cache store conformance`, () => {
    let clock = 1_700_000_000_000;
    const now = (): number => clock;
    const { open } = closedAfterEach(() => factory.open(now), (store) => factory.close(store));

    it('expires entries past their time to live', async () => {
      const store = await open();
      await store.cachePut({ key: 'k', kind: 'chat', model: 'm', text: 'v' }, { maxBytes: 1e6 });
      clock += 10_000;
      expect(await store.cacheGet('k', { ttlSeconds: 60 })).toBeDefined();
      expect(await store.cacheGet('k', { ttlSeconds: 5 })).toBeUndefined();
      expect(await store.cacheGet('k', {})).toBeUndefined();
    });

    it('expires by the injected clock, to the millisecond, whatever the time to live\'s fraction', async () => {
      const store = await open();
      const putAt = clock;
      await store.cachePut({ key: 'k', kind: 'chat', model: 'm', text: 'v' }, { maxBytes: 1e6 });
      clock = putAt + 5000;
      // Exactly the time to live old: still fresh.
      expect(await store.cacheGet('k', { ttlSeconds: 5 })).toMatchObject({ hitCount: 1 });
      clock = putAt + 5001;
      // 0.4 ms older than a 5.0006 s time to live: expired (the limit is not rounded to the entry's favour).
      expect(await store.cacheGet('k', { ttlSeconds: 5.0006 })).toBeUndefined();
      expect(await store.cacheGet('k', {})).toBeUndefined();
      await store.cachePut({ key: 'k', kind: 'chat', model: 'm', text: 'again' }, { maxBytes: 1e6 });
      clock += 1;
      expect(await store.cacheGet('k', { ttlSeconds: 0.002 })).toMatchObject({ text: 'again' });
    });

    it('evicts least recently used entries to stay within the size bound', async () => {
      const store = await open();
      for (const key of ['a', 'b', 'c']) {
        clock += 1000;
        await store.cachePut({ key, kind: 'chat', model: 'm', text: 'x'.repeat(100) }, { maxBytes: 300 });
      }
      clock += 1000;
      await store.cacheGet('a', {});
      clock += 1000;
      await store.cachePut({ key: 'd', kind: 'chat', model: 'm', text: 'x'.repeat(100) }, { maxBytes: 300 });
      expect(await store.cacheGet('b', {})).toBeUndefined();
      for (const key of ['a', 'c', 'd']) expect(await store.cacheGet(key, {}), key).toBeDefined();
      // An entry larger than the whole bound is not kept, and pushes out nothing.
      clock += 1000;
      await store.cachePut({ key: 'huge', kind: 'chat', model: 'm', text: 'x'.repeat(301) }, { maxBytes: 300 });
      expect(await store.cacheGet('huge', {})).toBeUndefined();
      for (const key of ['a', 'c', 'd']) expect(await store.cacheGet(key, {}), key).toBeDefined();
    });

    it('over maxBytes, evicts down to keepBytes; under maxBytes, evicts nothing', async () => {
      const store = await open();
      for (const key of ['a', 'b', 'c']) {
        clock += 1000;
        await store.cachePut({ key, kind: 'chat', model: 'm', text: 'x'.repeat(100) });
      }
      clock += 1000;
      // 400 bytes: over keepBytes (250) but not over maxBytes (400): nothing goes.
      await store.cachePut({ key: 'd', kind: 'chat', model: 'm', text: 'x'.repeat(100) }, { maxBytes: 400, keepBytes: 250 });
      for (const key of ['a', 'b', 'c', 'd']) expect(await store.cacheGet(key, {}), key).toBeDefined();
      clock += 1000;
      // 500 bytes, over 400: the newest that fit 250 stay (e and the last one read, d).
      await store.cachePut({ key: 'e', kind: 'chat', model: 'm', text: 'x'.repeat(100) }, { maxBytes: 400, keepBytes: 250 });
      for (const key of ['a', 'b', 'c']) expect(await store.cacheGet(key, {}), key).toBeUndefined();
      for (const key of ['d', 'e']) expect(await store.cacheGet(key, {}), key).toBeDefined();
    });

    it('without maxBytes, only stores: nothing is evicted, however far over a bound the cache is', async () => {
      const store = await open();
      await store.cachePut({ key: 'a', kind: 'chat', model: 'm', text: 'x'.repeat(100) }, { maxBytes: 100 });
      clock += 1000;
      await store.cachePut({ key: 'b', kind: 'speech', model: 'm', blob: new Uint8Array(500) });
      expect(await store.cacheGet('a', {})).toMatchObject({ size: 100 });
      expect(await store.cacheGet('b', {})).toMatchObject({ size: 500 });
      // The next eviction brings it back within its bound.
      clock += 1000;
      await store.cachePut({ key: 'c', kind: 'chat', model: 'm', text: 'x'.repeat(100) }, { maxBytes: 300 });
      expect(await store.cacheGet('a', {})).toBeDefined();
      expect(await store.cacheGet('b', {})).toBeUndefined();
    });
  });
}
