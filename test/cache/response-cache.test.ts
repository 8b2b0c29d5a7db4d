/**
 * The response cache's size bound over a real SQLite store: an eviction ranks the whole cache,
 * so it runs on a process's first put and then once per EVICTION_EVERY of the bound written,
 * not on every put; between two evictions the cache may be over its bound by less than that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVICTION_EVERY, ResponseCache } from '../../src/cache/response-cache.js';
import { openSqliteDatabase } from '../../src/store/dialects/sqlite.js';
import { SqlStore } from '../../src/store/sql-store.js';

let directory: string;
let store: SqlStore;
let clock = 1_700_000_000_000;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-cache-'));
  store = await SqlStore.open(openSqliteDatabase(join(directory, 'cache.db')), () => (clock += 1000));
});
afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

const MAX_BYTES = 10_000;
const text = (bytes: number): { model: string; text: string } => ({ model: 'm', text: 'x'.repeat(bytes) });

describe('the response cache size bound', () => {
  it('evicts on the first put, then only once EVICTION_EVERY of the bound has been written since', async () => {
    expect(EVICTION_EVERY * MAX_BYTES).toBe(500);
    const cache = new ResponseCache(store, { enabled: true, maxBytes: MAX_BYTES, ttlSeconds: undefined });
    // Another process (or an older run) left the cache over its bound: the first put brings it back.
    await store.cachePut({ key: 'old', kind: 'chat', ...text(9_000) });
    await store.cachePut({ key: 'older', kind: 'chat', ...text(2_000) });
    await cache.put('chat', 'first', text(100));
    expect(await keys()).toEqual(['first', 'older']);

    // Another writer fills it to 9 800 bytes; this one puts 400 more: under 500 written since its
    // eviction, so no eviction, and the cache is over its bound for now.
    await store.cachePut({ key: 'filler', kind: 'speech', model: 'm', blob: new Uint8Array(7_700) });
    await cache.put('chat', 'recent', text(400));
    expect(await keys()).toEqual(['filler', 'first', 'older', 'recent']);
    expect(await totalBytes()).toBe(10_200);

    // 100 more: 500 written since the last eviction, which runs and drops the least recently used.
    await cache.put('chat', 'next', text(100));
    expect(await keys()).toEqual(['filler', 'first', 'next', 'recent']);
    // Down to 95% of the bound, so the next checks find it under and rank nothing.
    expect(await totalBytes()).toBeLessThanOrEqual(MAX_BYTES * (1 - EVICTION_EVERY));
  });

  it('a put that the store refuses resolves all the same, and says so to onWriteFailure', async () => {
    const failures: unknown[] = [];
    const refusing = { cacheGet: store.cacheGet.bind(store), cachePut: () => Promise.reject(new Error('disk full')) };
    const cache = new ResponseCache(refusing, { enabled: true, maxBytes: MAX_BYTES, ttlSeconds: undefined }, undefined, (error) => failures.push(error));
    await expect(cache.put('chat', 'a', text(10))).resolves.toBeUndefined();
    await expect(cache.put('chat', 'b', text(10))).resolves.toBeUndefined();
    expect(failures.map((error) => (error as Error).message)).toEqual(['disk full', 'disk full']);
  });

  it('after a put that failed while it was to evict, the next put evicts', async () => {
    const bounds: unknown[] = [];
    let refuse = true;
    const flaky = {
      cacheGet: store.cacheGet.bind(store),
      cachePut: async (...put: Parameters<SqlStore['cachePut']>) => {
        bounds.push(put[1]);
        if (refuse) {
          refuse = false;
          throw new Error('database is locked');
        }
        return store.cachePut(...put);
      },
    };
    const cache = new ResponseCache(flaky, { enabled: true, maxBytes: MAX_BYTES, ttlSeconds: undefined }, undefined, () => {});
    await cache.put('chat', 'a', text(10));
    await cache.put('chat', 'b', text(10));
    await cache.put('chat', 'c', text(10));
    const evicting = { maxBytes: MAX_BYTES, keepBytes: MAX_BYTES * (1 - EVICTION_EVERY) };
    expect(bounds).toEqual([evicting, evicting, undefined]);
  });

  it('a single entry larger than the bound is evicted on the put that wrote it, as it is due', async () => {
    const cache = new ResponseCache(store, { enabled: true, maxBytes: MAX_BYTES, ttlSeconds: undefined });
    await cache.put('chat', 'small', text(10));
    await cache.put('chat', 'huge', text(MAX_BYTES + 1));
    expect(await keys()).toEqual(['small']);
  });
});

async function keys(): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of store.cacheEntries()) found.push(entry.key);
  return found.sort();
}

async function totalBytes(): Promise<number> {
  let total = 0;
  for await (const entry of store.cacheEntries()) total += entry.size;
  return total;
}
