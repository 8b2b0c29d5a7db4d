import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { POSTGRES_URL, createTestDatabase, dropTestDatabase, queryDatabase, warnSkipped } from '../support/postgres.js';
import { describeStoreConformance } from './store-conformance.js';

warnSkipped('postgres-store');
const databases: string[] = [];
const urls = new WeakMap<Store, string>();

afterAll(async () => {
  await Promise.all(databases.map(dropTestDatabase));
});

async function fresh(): Promise<string> {
  const url = await createTestDatabase();
  databases.push(url);
  return url;
}

async function openPostgres(url: string, now?: () => number): Promise<Store> {
  const store = await openStore({ kind: 'postgres', url }, now ? { now } : {});
  urls.set(store, url);
  return store;
}

describe.skipIf(!POSTGRES_URL)('PostgreSQL', () => {
  describeStoreConformance('PostgreSQL', {
    open: async (now) => openPostgres(await fresh(), now),
    reopen: async (store, now) => openPostgres(urls.get(store)!, now),
  });

  it('several processes starting at once on an empty database apply every step of the one list once', async () => {
    const url = await fresh();
    const stores = await Promise.all(Array.from({ length: 5 }, () => openPostgres(url)));
    await Promise.all(stores.map((store) => store.close()));
    const applied = await queryDatabase<{ version: number; name: string }>(url, 'SELECT version, name FROM schema_migrations ORDER BY version');
    expect(applied).toEqual(migrations.map(({ version, name }) => ({ version, name })));
  });

  it('refuses a database written by a newer schema', async () => {
    const url = await fresh();
    await (await openPostgres(url)).close();
    await queryDatabase(url, "INSERT INTO schema_migrations VALUES (999, 'from the future', 0)");
    await expect(openPostgres(url)).rejects.toThrow(/written by a newer version of assistant \(schema 999.*the database was left untouched/);
  });

  it('a cache eviction another process is running is left to it: the entry is stored, nothing is ranked twice', async () => {
    const url = await fresh();
    const store = await openPostgres(url);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      for (const key of ['a', 'b', 'c']) await store.cachePut({ key, kind: 'chat', model: 'm', text: 'x'.repeat(100) });
      // Another replica is evicting: it holds the eviction lock.
      await other.query(`SELECT pg_advisory_lock(${0x61736576})`);
      await store.cachePut({ key: 'd', kind: 'chat', model: 'm', text: 'x'.repeat(100) }, { maxBytes: 200 });
      expect(await queryDatabase(url, 'SELECT key FROM cache ORDER BY key')).toEqual(['a', 'b', 'c', 'd'].map((key) => ({ key })));
      await other.query(`SELECT pg_advisory_unlock(${0x61736576})`);
      await store.cachePut({ key: 'e', kind: 'chat', model: 'm', text: 'x'.repeat(100) }, { maxBytes: 200 });
      expect(await queryDatabase(url, 'SELECT key FROM cache ORDER BY key')).toEqual(['d', 'e'].map((key) => ({ key })));
    } finally {
      await other.end();
      await store.close();
    }
  });

  it('keeps audio in bytea and search in a GIN-indexed tsvector', async () => {
    const url = await fresh();
    const store = await openPostgres(url);
    await store.close();
    const columns = await queryDatabase<{ column_name: string; data_type: string }>(
      url,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name IN ('cache', 'messages') AND column_name IN ('value_blob', 'search')",
    );
    expect(Object.fromEntries(columns.map((column) => [column.column_name, column.data_type]))).toEqual({ value_blob: 'bytea', search: 'tsvector' });
    const indexes = await queryDatabase<{ indexdef: string }>(url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_search'");
    expect(indexes[0]!.indexdef).toContain('USING gin (search)');
  });

  it.each([
    ['a server that is down', () => 'postgres://u:s3cret-pw@127.0.0.1:1/x', /Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/x \(connection refused\)/],
    ['a wrong password', () => withPassword(POSTGRES_URL!, 'wrong-s3cret-pw'), /rejected the password/],
    ['a missing database', () => withDatabase(POSTGRES_URL!, 'no_such_database'), /database "no_such_database" does not exist at 127\.0\.0\.1:5432\/no_such_database/],
  ])('%s is a one-line error naming host and database, never the password', async (_, url, message) => {
    const error = await openPostgres(url()).then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toMatch(/s3cret|assistant_test:assistant_test/);
    expect(error?.message).not.toContain('\n');
  });
});

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
