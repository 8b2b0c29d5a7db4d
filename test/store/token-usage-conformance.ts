/**
 * The counters behind serve's per-token limits (TokenUsageStore) for every store: part of the
 * store conformance suite, so it runs on SQLite and PostgreSQL. Replicas share one database, so
 * the count must be exact when calls race on several connections at once.
 */
import { describe, expect, it } from 'vitest';
import { closedAfterEach } from './closed-after-each.js';
import type { StoreFactory } from './store-conformance.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export function describeTokenUsageStoreConformance(name: string, factory: StoreFactory): void {
  describe(`${name} token usage store conformance`, () => {
    const now = (): number => 1_700_000_000_000;
    const { open, track } = closedAfterEach(() => factory.open(now), (store) => store.close());

    it('counts requests up to the limit in a minute, per token, and starts again in the next minute', async () => {
      const store = await open();
      const results = [];
      for (let request = 0; request < 4; request++) results.push(await store.countRequest('alice', 0, 3));
      expect(results).toEqual([true, true, true, false]);
      expect(await store.countRequest('bob', 0, 3)).toBe(true);
      // A refused request is not counted: a higher limit (the token changed) lets exactly one more in.
      expect(await store.countRequest('alice', 0, 4)).toBe(true);
      expect(await store.countRequest('alice', 0, 4)).toBe(false);
      expect(await store.countRequest('alice', MINUTE, 3)).toBe(true);
    });

    it('allows exactly the limit when 50 requests race on two connections (two replicas)', async () => {
      const store = await open();
      const other = await factory.reopen(store, now);
      track(other);
      const results = await Promise.all(Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? store : other).countRequest('alice', 0, 17)));
      expect(results.filter(Boolean)).toHaveLength(17);
      expect(await other.countRequest('alice', 0, 17)).toBe(false);
    });

    it('adds tokens to a day per token, exactly under concurrent adds, and reads 0 for a day with none', async () => {
      const store = await open();
      const other = await factory.reopen(store, now);
      track(other);
      expect(await store.tokensUsed('alice', 0)).toBe(0);
      await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? store : other).addTokens('alice', 0, 1_000_000_000)));
      await store.addTokens('bob', 0, 7);
      await store.addTokens('alice', DAY, 5);
      expect(await other.tokensUsed('alice', 0)).toBe(20_000_000_000);
      expect(await store.tokensUsed('bob', 0)).toBe(7);
      expect(await store.tokensUsed('alice', DAY)).toBe(5);
    });
  });
}
