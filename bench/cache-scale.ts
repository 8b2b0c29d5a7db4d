/**
 * The response cache at scale: a cache seeded with 10k and 100k entries (1 KB answers, well
 * under the default 200 MB bound), then the time of a put, on SQLite and, when
 * ASSISTANT_TEST_POSTGRES_URL is set, on PostgreSQL. Side by side in one run: a put that checks
 * the bound (a process's first put, or one per EVICTION_EVERY of the bound written) and
 * ResponseCache's put (which checks only then); with ASSISTANT_BENCH_CACHE_BASELINE=<another
 * build's dist/store/open-store.js>, that build's put with its bound first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EVICTION_EVERY, ResponseCache } from '../src/cache/response-cache.js';
import { openStore } from '../src/store/open-store.js';
import type { StoreLocation } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { createTestDatabase, dropTestDatabase, queryDatabase } from '../test/support/postgres.js';
import { ms, summary, table } from './stats.js';

const MAX_BYTES = 200_000_000;
const ENTRY_BYTES = 1_000;
const T0 = Date.UTC(2026, 0, 1);

type OpenStore = (location: StoreLocation) => Promise<Store>;

async function seedSqlite(path: string, entries: number, open: OpenStore): Promise<void> {
  await (await open({ kind: 'sqlite', path })).close();
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  // Integers written into the SQL: bound JavaScript numbers would arrive as REAL.
  database.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${entries - 1})
    INSERT INTO cache (key, kind, model, value_text, size, created_at, last_hit_at, hit_count)
    SELECT 'seed' || i, 'chat', 'm', printf('%.${ENTRY_BYTES}c', 'x'), ${ENTRY_BYTES}, ${T0} + i, ${T0} + i, 0 FROM n`);
  database.close();
}

async function seedPostgres(url: string, entries: number, open: OpenStore): Promise<void> {
  await (await open({ kind: 'postgres', url })).close();
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
  const baselinePath = process.env.ASSISTANT_BENCH_CACHE_BASELINE;
  const openBaseline = baselinePath === undefined ? undefined : ((await import(baselinePath)) as { openStore: OpenStore }).openStore;
  const rows: string[][] = [];
  const fullRows: string[][] = [];
  const directory = mkdtempSync(join(tmpdir(), 'assistant-bench-cache-'));
  const text = 'y'.repeat(ENTRY_BYTES);
  try {
    for (const backend of ['SQLite', ...(process.env.ASSISTANT_TEST_POSTGRES_URL ? ['PostgreSQL'] : [])]) {
      for (const entries of sizes) {
        let location: StoreLocation;
        let cleanup = async (): Promise<void> => {};
        if (backend === 'SQLite') {
          location = { kind: 'sqlite', path: join(directory, `cache-${entries}.db`) };
          await seedSqlite(location.path, entries, openBaseline ?? openStore);
        } else {
          const url = await createTestDatabase();
          cleanup = () => dropTestDatabase(url);
          await seedPostgres(url, entries, openBaseline ?? openStore);
          location = { kind: 'postgres', url };
        }
        // Made by the baseline, opened by it first: it refuses a database this build has already migrated further.
        const baseline = openBaseline ? await openBaseline(location) : undefined;
        const store = await openStore(location);
        try {
          const cache = new ResponseCache(store, { enabled: true, maxBytes: MAX_BYTES, ttlSeconds: undefined });
          // Alternating rounds, so the machine's load falls on each alike.
          const before: number[] = [];
          const checked: number[] = [];
          const amortized: number[] = [];
          for (let round = 0; round < 4; round += 1) {
            if (baseline) before.push(...(await putTimes((key) => baseline.cachePut({ key, kind: 'chat', model: 'm', text }, { maxBytes: MAX_BYTES }), puts / 4, `before${round}-`)));
            checked.push(...(await putTimes((key) => store.cachePut({ key, kind: 'chat', model: 'm', text }, { maxBytes: MAX_BYTES }), puts / 4, `checked${round}-`)));
            amortized.push(...(await putTimes((key) => cache.put('chat', key, { model: 'm', text }), puts / 4, `amortized${round}-`)));
          }
          const ratio = baseline ? `${(summary(before).median / summary(amortized).median).toFixed(0)}x` : 'not measured';
          rows.push([backend, entries.toLocaleString('en'), baseline ? describe(before) : 'not measured', describe(checked), describe(amortized), ratio]);

          // The cache at its bound (months of use): every command's first write, each a new process (a new ResponseCache).
          const atBound = ((await store.cacheStats()).reduce((total, kind) => total + Number(kind.bytes), 0));
          const fullBefore: number[] = [];
          const fullNow: number[] = [];
          for (let round = 0; round < 4; round += 1) {
            if (baseline) fullBefore.push(...(await putTimes((key) => baseline.cachePut({ key, kind: 'chat', model: 'm', text }, { maxBytes: atBound }), puts / 8, `full-before${round}-`)));
            const command = (): ResponseCache => new ResponseCache(store, { enabled: true, maxBytes: atBound, ttlSeconds: undefined });
            fullNow.push(...(await putTimes((key) => command().put('chat', key, { model: 'm', text }), puts / 8, `full-now${round}-`)));
          }
          const fullRatio = baseline ? `${(summary(fullBefore).median / summary(fullNow).median).toFixed(0)}x` : 'not measured';
          fullRows.push([backend, entries.toLocaleString('en'), baseline ? describe(fullBefore) : 'not measured', describe(fullNow), fullRatio]);
        } finally {
          await baseline?.close();
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
      `Before${baselinePath === undefined ? ' (not measured in this run: set ASSISTANT_BENCH_CACHE_BASELINE)' : ''}: every put ranked the whole cache to evict beyond the bound. ` +
      `Now: a put that checks the bound sums an index of the sizes (and ranks the entries only when over); ResponseCache checks on a process's first put and then once per ${EVICTION_EVERY * 100}% of the bound written by that process ` +
      `(${(EVICTION_EVERY * MAX_BYTES) / 1_000_000} MB here, so only on its first put during these; the cache may be over its bound by that much per writing process until it next checks).`,
    '',
    table(['store', 'entries', 'before: every put evicts, median / mean / max', 'now: a put that checks the bound', 'now: ResponseCache put', 'median, before / ResponseCache'], rows),
    '',
    `The same caches at their bound (its total size after the puts above), then ${puts / 2} puts of new 1 KB answers, each by a new ResponseCache as a new command (ask, say) makes, so each checks the bound; in alternating rounds with the baseline's puts, which put it over again each time. ` +
      `Now the first check that finds the cache over ranks it and cuts it to ${(1 - EVICTION_EVERY) * 100}% of the bound; the checks after it find room.`,
    '',
    table(['store', 'entries', 'before: every put ranks, median / mean / max', "now: each command's first put", 'median, before / now'], fullRows),
  ].join('\n');
}
