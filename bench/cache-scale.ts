/**
 * The response cache at scale: a cache seeded with 10k and 100k entries (1 KB answers, well
 * under the default 200 MB bound), then the time of a put, on SQLite and, when
 * ASSISTANT_TEST_POSTGRES_URL is set, on PostgreSQL. Side by side in one run: a put that
 * evicts every time (what each put did before) and ResponseCache's put, which evicts on its
 * first put and then once per EVICTION_EVERY of the bound written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EVICTION_EVERY, ResponseCache } from '../src/cache/response-cache.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { createTestDatabase, dropTestDatabase, queryDatabase } from '../test/support/postgres.js';
import { ms, summary, table } from './stats.js';

const MAX_BYTES = 200_000_000;
const ENTRY_BYTES = 1_000;
const T0 = Date.UTC(2026, 0, 1);

async function seedSqlite(path: string, entries: number): Promise<void> {
  await (await openStore({ kind: 'sqlite', path })).close();
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  // Integers written into the SQL: bound JavaScript numbers would arrive as REAL.
  database.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${entries - 1})
    INSERT INTO cache (key, kind, model, value_text, size, created_at, last_hit_at, hit_count)
    SELECT 'seed' || i, 'chat', 'm', printf('%.${ENTRY_BYTES}c', 'x'), ${ENTRY_BYTES}, ${T0} + i, ${T0} + i, 0 FROM n`);
  database.close();
}

async function seedPostgres(url: string, entries: number): Promise<void> {
  await (await openStore({ kind: 'postgres', url })).close();
  await queryDatabase(url, `INSERT INTO cache (key, kind, model, value_text, size, created_at, last_hit_at, hit_count)
    SELECT 'seed' || i, 'chat', 'm', repeat('x', $2), $2, $3::bigint + i, $3::bigint + i, 0 FROM generate_series(0, $1 - 1) AS i`, [entries, ENTRY_BYTES, T0]);
  await queryDatabase(url, 'ANALYZE');
}

/** Times of `puts` puts of new 1 KB entries, one after another. */
async function putTimes(put: (key: string) => Promise<void>, puts: number, prefix: string): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < puts; index += 1) {
    const start = performance.now();
    await put(`${prefix}${index}`);
    times.push(performance.now() - start);
  }
  return times;
}

function describe(times: number[]): string {
  const { median, max } = summary(times);
  const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
  return `${ms(median)} / ${ms(mean)} / ${ms(max)}`;
}

export async function cacheScale(sizes: number[], puts: number): Promise<string> {
  const rows: string[][] = [];
  const directory = mkdtempSync(join(tmpdir(), 'assistant-bench-cache-'));
  const text = 'y'.repeat(ENTRY_BYTES);
  try {
    for (const backend of ['SQLite', ...(process.env.ASSISTANT_TEST_POSTGRES_URL ? ['PostgreSQL'] : [])]) {
      for (const entries of sizes) {
        let store: Store;
        let cleanup = async (): Promise<void> => {};
        if (backend === 'SQLite') {
          const path = join(directory, `cache-${entries}.db`);
          await seedSqlite(path, entries);
          store = await openStore({ kind: 'sqlite', path });
        } else {
          const url = await createTestDatabase();
          cleanup = () => dropTestDatabase(url);
          await seedPostgres(url, entries);
          store = await openStore({ kind: 'postgres', url });
        }
        try {
          const cache = new ResponseCache(store, { enabled: true, maxBytes: MAX_BYTES, ttlSeconds: undefined });
          // Alternating rounds, so the machine's load falls on both alike.
          const everyPut: number[] = [];
          const amortized: number[] = [];
          for (let round = 0; round < 4; round += 1) {
            everyPut.push(...(await putTimes((key) => store.cachePut({ key, kind: 'chat', model: 'm', text }, { maxBytes: MAX_BYTES }), puts / 4, `every${round}-`)));
            amortized.push(...(await putTimes((key) => cache.put('chat', key, { model: 'm', text }), puts / 4, `amortized${round}-`)));
          }
          const ratio = summary(everyPut).median / summary(amortized).median;
          rows.push([backend, entries.toLocaleString('en'), describe(everyPut), describe(amortized), `${ratio.toFixed(1)}x`]);
        } finally {
          await store.close();
          await cleanup();
        }
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return [
    `A cache seeded with 1 KB chat answers (bound ${MAX_BYTES / 1_000_000} MB, so nothing is evicted), then ${puts} puts of new 1 KB answers, one after another, in alternating rounds. ` +
      `Before: every put ranked the whole cache to evict beyond the bound. Now (ResponseCache): an eviction on a process's first put, then once per ${EVICTION_EVERY * 100}% of the bound written by that process ` +
      `(${(EVICTION_EVERY * MAX_BYTES) / 1_000_000} MB here, so none after the first during these puts; the cache may be over its bound by that much per writing process until it next evicts).`,
    '',
    table(['store', 'entries', 'evicting on every put: median / mean / max', 'ResponseCache put: median / mean / max', 'median, before / now'], rows),
  ].join('\n');
}
