import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssistantError } from '../../src/errors.js';
import { openSqliteDatabase } from '../../src/store/dialects/sqlite.js';
import { migrate, migrations } from '../../src/store/migrations.js';
import { SqlStore } from '../../src/store/sql-store.js';
import type { Store } from '../../src/store/store.js';
import { describeStoreConformance } from './store-conformance.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-store-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const paths = new WeakMap<Store, string>();
async function openSqlite(path: string, options: { now?: () => number; createDirectory?: boolean } = {}): Promise<SqlStore> {
  const store = await SqlStore.open(openSqliteDatabase(path, options.createDirectory ? { createDirectory: true } : {}), options.now);
  paths.set(store, path);
  return store;
}

describeStoreConformance('SQLite', {
  open: async (now) => openSqlite(join(directory, `store-${Math.random()}.db`), { now }),
  reopen: async (store, now) => openSqlite(paths.get(store)!, { now }),
});

describe('SQLite specifics', () => {
  it('migrates a blank database to the latest schema, once', async () => {
    const path = join(directory, 'blank.db');
    await (await openSqlite(path)).close();
    await (await openSqlite(path)).close();
    const database = new Database(path, { readonly: true });
    const applied = database.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    const tables = database.prepare("SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name").all() as Array<{ name: string }>;
    database.close();
    expect(applied).toEqual(migrations.map(({ version, name }) => ({ version, name })));
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['cache', 'messages', 'messages_search', 'schema_migrations', 'sessions']));
  });

  it('upgrades a schema-3 database (the first release) to owners and settings, every row intact', async () => {
    const path = join(directory, 'release-1.db');
    const old = openSqliteDatabase(path);
    await migrate(old, migrations.filter((migration) => migration.version <= 3));
    await old.exec(`INSERT INTO sessions (id, created_at, updated_at, message_count, preview) VALUES ('old', 1, 2, 2, 'hello');
      INSERT INTO messages (session_id, role, content, created_at) VALUES ('old', 'user', 'hello', 1), ('old', 'assistant', 'hi', 2);`);
    await old.close();
    const store = await openSqlite(path);
    expect(await store.messages('old')).toMatchObject([{ content: 'hello' }, { content: 'hi' }]);
    expect(await store.getSession('old')).toMatchObject({ id: 'old', messageCount: 2, preview: 'hello' });
    expect((await store.getSession('old'))!.owner).toBeUndefined();
    // A session from before owners were recorded counts as anyone's.
    expect(await store.latestSessionId('me@here')).toBe('old');
    await store.close();
  });

  it('applies only the steps a database lacks', async () => {
    const database = openSqliteDatabase(join(directory, 'steps.db'));
    const steps = [
      { version: 1, name: 'one', sql: () => 'CREATE TABLE one (x)' },
      { version: 2, name: 'two', sql: () => 'CREATE TABLE two (x)' },
    ];
    await migrate(database, steps.slice(0, 1));
    await migrate(database, steps);
    await migrate(database, steps);
    expect(await database.all('SELECT version FROM schema_migrations')).toEqual([{ version: 1 }, { version: 2 }]);
    await database.close();
  });

  it('refuses a database written by a newer schema and leaves it untouched', async () => {
    const path = join(directory, 'newer.db');
    await (await openSqlite(path)).close();
    const database = new Database(path);
    database.prepare("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)").run();
    database.close();
    const before = statSync(path).mtimeMs;
    await expect(openSqlite(path)).rejects.toThrow(/written by a newer version of assistant \(schema 999.*the file was left untouched/);
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('turns a file that is not a database into a clear error', async () => {
    const path = join(directory, 'garbage.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough to matter '.repeat(100));
    await expect(openSqlite(path)).rejects.toThrow(AssistantError);
    await expect(openSqlite(path)).rejects.toThrow(/is not a usable assistant database .* left untouched/);
  });

  it('uses WAL, foreign keys and a busy timeout; keeps messages append-only', async () => {
    const path = join(directory, 'pragmas.db');
    await (await openSqlite(path)).close();
    const database = openSqliteDatabase(path);
    expect(await database.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await database.all('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
    expect((await database.all<{ timeout: number }>('PRAGMA busy_timeout'))[0]!.timeout).toBeGreaterThanOrEqual(5000);
    await database.run("INSERT INTO sessions (id, created_at, updated_at) VALUES ('s', 0, 0)");
    await database.run("INSERT INTO messages (session_id, role, content, created_at) VALUES ('s', 'user', 'x', 0)");
    await expect(database.run("UPDATE messages SET content = 'y'")).rejects.toThrow(/append-only/);
    await database.close();
  });

  it('rolls back a transaction that fails, and goes on serving', async () => {
    const database = openSqliteDatabase(join(directory, 'rollback.db'));
    await database.exec('CREATE TABLE t (x INTEGER)');
    await expect(database.transaction(async (connection) => {
      await connection.run('INSERT INTO t VALUES (1)');
      throw new Error('midway');
    })).rejects.toThrow('midway');
    await database.transaction((connection) => connection.run('INSERT INTO t VALUES (2)'));
    expect(await database.all('SELECT x FROM t')).toEqual([{ x: 2 }]);
    await database.close();
  });

  it('creates its directory 0700 (when asked: the default data directory) and file 0600', async () => {
    const path = join(directory, 'nested', 'deeper', 'assistant.db');
    await (await openSqlite(path, { createDirectory: true })).close();
    expect(statSync(join(directory, 'nested', 'deeper')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('otherwise refuses a file in a directory that does not exist, creating nothing', async () => {
    const path = join(directory, 'typo', 'assistant.db');
    await expect(openSqlite(path)).rejects.toThrow(/the directory .*typo does not exist/);
    expect(existsSync(join(directory, 'typo'))).toBe(false);
  });
});
