/**
 * History at scale: a store seeded with 10k, 100k (and 1M) messages; the time to append a
 * turn, print a 100-message session, list sessions and search, on SQLite and, when
 * ASSISTANT_TEST_POSTGRES_URL is set, on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { createTestDatabase, dropTestDatabase, queryDatabase } from '../test/support/postgres.js';
import { ms, summary, table } from './stats.js';

const T0 = Date.UTC(2026, 0, 1);

async function seedSqlite(path: string, messages: number, sessions: number): Promise<void> {
  await (await openStore({ kind: 'sqlite', path })).close();
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.transaction(() => {
    // Integers written into the SQL: bound JavaScript numbers would arrive as REAL ('s' || 1.0 = 's1.0').
    database.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${sessions - 1})
      INSERT INTO sessions (id, created_at, updated_at, message_count, preview) SELECT 's' || i, ${T0} + i, ${T0} + i, 0, 'question ' || i FROM n`);
    database.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${messages - 1})
      INSERT INTO messages (session_id, role, content, status, created_at)
      SELECT 's' || (i % ${sessions}), CASE i % 2 WHEN 0 THEN 'user' ELSE 'assistant' END,
             'message ' || i || ' about topic' || (i % 1000) || ' and the weather in city' || (i % 97), 'complete', ${T0} + i FROM n`);
    database.prepare(`UPDATE sessions SET message_count = (SELECT COUNT(*) FROM messages WHERE session_id = sessions.id)`).run();
  })();
  database.close();
}

async function seedPostgres(url: string, messages: number, sessions: number): Promise<void> {
  await (await openStore({ kind: 'postgres', url })).close();
  await queryDatabase(url, `INSERT INTO sessions (id, created_at, updated_at, message_count, preview)
    SELECT 's' || i, $1::bigint + i, $1::bigint + i, 0, 'question ' || i FROM generate_series(0, $2 - 1) AS i`, [T0, sessions]);
  await queryDatabase(url, `INSERT INTO messages (session_id, role, content, status, created_at, search)
    SELECT 's' || (i % $2), CASE i % 2 WHEN 0 THEN 'user' ELSE 'assistant' END, c, 'complete', $3::bigint + i, to_tsvector('simple', c)
    FROM generate_series(0, $1 - 1) AS i, LATERAL (SELECT 'message ' || i || ' about topic' || (i % 1000) || ' and the weather in city' || (i % 97) AS c) AS content`, [messages, sessions, T0]);
  await queryDatabase(url, 'UPDATE sessions SET message_count = counts.n FROM (SELECT session_id, COUNT(*) AS n FROM messages GROUP BY session_id) AS counts WHERE sessions.id = counts.session_id');
  await queryDatabase(url, 'ANALYZE');
}

async function measure(store: Store, runs: number): Promise<Record<string, number>> {
  for (let index = 0; index < 100; index += 1) await store.appendMessage({ sessionId: 'hundred', role: index % 2 ? 'assistant' : 'user', content: `line ${index} topic5` });
  const cases: Record<string, () => Promise<unknown>> = {
    'append a turn (2 messages)': async () => {
      await store.appendMessage({ sessionId: 'bench-append', role: 'user', content: 'a new question about topic9' });
      await store.appendMessage({ sessionId: 'bench-append', role: 'assistant', content: 'a new answer' });
    },
    'transcript of a 100-message session': () => store.messages('hundred'),
    'list 20 sessions': () => store.listSessions({ limit: 20 }),
    'search (20 hits shown)': () => store.search('topic7 weather', { limit: 20 }),
  };
  const results: Record<string, number> = {};
  for (const [name, run] of Object.entries(cases)) {
    await run();
    const times: number[] = [];
    for (let round = 0; round < runs; round += 1) {
      const start = performance.now();
      await run();
      times.push(performance.now() - start);
    }
    results[name] = summary(times).median;
  }
  return results;
}

export async function historyScale(sizes: number[], runs: number): Promise<string> {
  const rows: string[][] = [];
  const directory = mkdtempSync(join(tmpdir(), 'assistant-bench-history-'));
  const targets: Record<string, number> = { 'append a turn (2 messages)': 2, 'transcript of a 100-message session': 20, 'search (20 hits shown)': 100 };
  try {
    for (const backend of ['SQLite', ...(process.env.ASSISTANT_TEST_POSTGRES_URL ? ['PostgreSQL'] : [])]) {
      for (const messages of sizes) {
        const sessions = Math.max(1000, messages / 10);
        const seedStart = performance.now();
        let store: Store;
        let cleanup = async (): Promise<void> => {};
        if (backend === 'SQLite') {
          const path = join(directory, `h-${messages}.db`);
          await seedSqlite(path, messages, sessions);
          store = await openStore({ kind: 'sqlite', path });
        } else {
          const url = await createTestDatabase();
          await seedPostgres(url, messages, sessions);
          store = await openStore({ kind: 'postgres', url });
          cleanup = () => dropTestDatabase(url);
        }
        const seeded = performance.now() - seedStart;
        const results = await measure(store, runs);
        await store.close();
        await cleanup();
        for (const [name, value] of Object.entries(results)) {
          const target = targets[name];
          const verdict = target === undefined || messages < 1_000_000 ? '' : value <= target ? ` (target ${target} ms: met)` : ` (target ${target} ms: **missed**)`;
          rows.push([backend, messages.toLocaleString('en-US'), sessions.toLocaleString('en-US'), name, ms(value) + verdict]);
        }
        rows.push([backend, messages.toLocaleString('en-US'), sessions.toLocaleString('en-US'), '(seeding, once)', ms(seeded)]);
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return `${table(['store', 'messages', 'sessions', 'operation', `median of ${runs}`], rows)}\n\nTargets at 1M messages: append under 2 ms, transcript under 20 ms, search under 100 ms.`;
}
