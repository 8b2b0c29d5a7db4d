/**
 * The behaviour of personal tokens (TokenStore) for every store: part of the store conformance
 * suite, so it runs on SQLite and PostgreSQL. The server looks a token up by hash on every request, so a second
 * connection (another replica) must see a revoke at once.
 */
import { describe, expect, it } from 'vitest';
import { closedAfterEach } from './closed-after-each.js';
import type { StoreFactory } from './store-conformance.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

export function describeTokenStoreConformance(name: string, factory: StoreFactory): void {
  describe(`${name} token store conformance`, () => {
    let clock = 1_700_000_000_000;
    const now = (): number => clock;
    const { open, track } = closedAfterEach(() => factory.open(now), (store) => store.close());

    it('creates tokens with their limits and lists them oldest first, without their hashes', async () => {
      const store = await open();
      const alice = await store.createToken({ name: 'alice', hash: HASH_A, requestsPerMinute: 60, tokensPerDay: 5_000_000_000 });
      clock += 1000;
      await store.createToken({ name: 'bob', hash: HASH_B });
      expect(alice).toEqual({
        id: expect.any(String), name: 'alice', createdAt: new Date(clock - 1000), lastUsedAt: undefined, revokedAt: undefined,
        requestsPerMinute: 60, tokensPerDay: 5_000_000_000,
      });
      const listed = await store.listTokens();
      expect(listed.map((token) => [token.name, token.requestsPerMinute, token.tokensPerDay])).toEqual([['alice', 60, 5_000_000_000], ['bob', undefined, undefined]]);
      expect(listed[0]).toEqual(alice);
      expect(new Set(listed.map((token) => token.id)).size).toBe(2);
      expect(JSON.stringify(listed)).not.toMatch(/aaaa|bbbb|hash/);
    });

    it('refuses a name taken already, revoked or not, with a clear error, and keeps the first', async () => {
      const store = await open();
      await store.createToken({ name: 'alice', hash: HASH_A });
      await expect(store.createToken({ name: 'alice', hash: HASH_B })).rejects.toMatchObject({ name: 'AssistantError', message: expect.stringMatching(/token named "alice" exists already/) });
      await store.revokeToken('alice');
      await expect(store.createToken({ name: 'alice', hash: HASH_B })).rejects.toMatchObject({ name: 'AssistantError' });
      expect(await store.tokenByHash(HASH_B)).toBeUndefined();
      expect(await store.listTokens()).toHaveLength(1);
    });

    it('finds a token by the hash of its secret, revoked ones too, with when they were revoked', async () => {
      const store = await open();
      const alice = await store.createToken({ name: 'alice', hash: HASH_A, requestsPerMinute: 5 });
      expect(await store.tokenByHash(HASH_A)).toEqual(alice);
      expect(await store.tokenByHash(HASH_B)).toBeUndefined();
      clock += 5000;
      expect(await store.revokeToken('alice')).toBe(true);
      const revokedAt = clock;
      clock += 5000;
      // A second revoke keeps the first time.
      expect(await store.revokeToken('alice')).toBe(true);
      expect(await store.tokenByHash(HASH_A)).toEqual({ ...alice, revokedAt: new Date(revokedAt) });
      expect(await store.revokeToken('nobody')).toBe(false);
    });

    it('a revoke through one connection is seen at once through another (another replica)', async () => {
      const store = await open();
      const other = await factory.reopen(store, now);
      track(other);
      await store.createToken({ name: 'alice', hash: HASH_A });
      expect((await other.tokenByHash(HASH_A))?.revokedAt).toBeUndefined();
      await store.revokeToken('alice');
      expect((await other.tokenByHash(HASH_A))?.revokedAt).toEqual(new Date(clock));
    });

    it('records the latest use; an earlier one (from a slower replica) does not move it back', async () => {
      const store = await open();
      const alice = await store.createToken({ name: 'alice', hash: HASH_A });
      const bob = await store.createToken({ name: 'bob', hash: HASH_B });
      await store.touchToken(alice.id, clock + 2000.4);
      await store.touchToken(alice.id, clock + 1000);
      expect((await store.tokenByHash(HASH_A))?.lastUsedAt).toEqual(new Date(clock + 2000));
      expect((await store.tokenByHash(HASH_B))?.lastUsedAt).toBeUndefined();
      await store.touchToken(bob.id, clock + 3000);
      expect((await store.listTokens()).map((token) => token.lastUsedAt)).toEqual([new Date(clock + 2000), new Date(clock + 3000)]);
    });

    it('copies tokens to another store with their hashes; again, it keeps the earlier revoke and the later use; a taken name is left alone', async () => {
      const source = await open();
      const target = await open();
      await source.createToken({ name: 'alice', hash: HASH_A, requestsPerMinute: 60 });
      await source.createToken({ name: 'bob', hash: HASH_B });
      await target.createToken({ name: 'bob', hash: 'c'.repeat(64) });
      const copied = await source.tokensForCopy();
      expect(copied.map((token) => [token.name, token.hash])).toEqual([['alice', HASH_A], ['bob', HASH_B]]);
      expect(await Promise.all(copied.map((token) => target.importToken(token)))).toEqual(['added', 'name-taken']);
      const { hash: _hash, ...alice } = copied[0]!;
      expect(await target.tokenByHash(HASH_A)).toEqual(alice);
      expect(await target.tokenByHash(HASH_B)).toBeUndefined();

      // The target's own use, then the source's revoke: copied again, both hold.
      await target.touchToken(copied[0]!.id, clock + 5000);
      clock += 1000;
      await source.revokeToken('alice');
      const [again] = await source.tokensForCopy();
      expect(await target.importToken(again!)).toBe('already-there');
      expect(await target.tokenByHash(HASH_A)).toMatchObject({ revokedAt: new Date(clock), lastUsedAt: new Date(clock + 4000), requestsPerMinute: 60 });
    });
  });
}
