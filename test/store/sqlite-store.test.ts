import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssistantError } from '../../src/errors.js';
import { migrate, sqliteMigrations } from '../../src/store/sqlite-migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { describeStoreConformance } from './store-conformance.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-store-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describeStoreConformance('SQLite', {
  open: async (now) => new SqliteStore(join(directory, `store-${Math.random()}.db`), { now }),
  reopen: async (store, now) => new SqliteStore((store as SqliteStore).path, { now }),
});

describe('SQLite specifics', () => {
  it('migrates a blank database to the latest schema, once', async () => {
    const path = join(directory, 'blank.db');
    await new SqliteStore(path).close();
    await new SqliteStore(path).close();
    const database = new Database(path, { readonly: true });
    const applied = database.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    const tables = database.prepare("SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name").all() as Array<{ name: string }>;
    database.close();
    expect(applied).toEqual(sqliteMigrations.map(({ version, name }) => ({ version, name })));
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['cache', 'messages', 'messages_search', 'schema_migrations', 'sessions']));
  });

  it('upgrades a schema-3 database (the first release) to owners and settings, every row intact', async () => {
    const path = join(directory, 'release-1.db');
    const old = new Database(path);
    migrate(old, sqliteMigrations.filter((migration) => migration.version <= 3));
    old.exec(`INSERT INTO sessions (id, created_at, updated_at, message_count, preview) VALUES ('old', 1, 2, 2, 'hello');
      INSERT INTO messages (session_id, role, content, created_at) VALUES ('old', 'user', 'hello', 1), ('old', 'assistant', 'hi', 2);`);
    old.close();
    const store = new SqliteStore(path);
    expect(await store.messages('old')).toMatchObject([{ content: 'hello' }, { content: 'hi' }]);
    expect(await store.getSession('old')).toMatchObject({ id: 'old', messageCount: 2, preview: 'hello' });
    expect((await store.getSession('old'))!.owner).toBeUndefined();
    // A session from before owners were recorded counts as anyone's.
    expect(await store.latestSessionId('me@here')).toBe('old');
    await store.close();
  });

  it('applies only the steps a database lacks', () => {
    const database = new Database(':memory:');
    const steps = [
      { version: 1, name: 'one', sql: 'CREATE TABLE one (x)' },
      { version: 2, name: 'two', sql: 'CREATE TABLE two (x)' },
    ];
    migrate(database, steps.slice(0, 1));
    migrate(database, steps);
    migrate(database, steps);
    expect(database.prepare('SELECT version FROM schema_migrations').all()).toEqual([{ version: 1 }, { version: 2 }]);
    database.close();
  });

  it('refuses a database written by a newer schema and leaves it untouched', async () => {
    const path = join(directory, 'newer.db');
    await new SqliteStore(path).close();
    const database = new Database(path);
    database.prepare("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)").run();
    database.close();
    const before = statSync(path).mtimeMs;
    expect(() => new SqliteStore(path)).toThrow(/written by a newer version of assistant \(schema 999/);
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('turns a file that is not a database into a clear error', () => {
    const path = join(directory, 'garbage.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough to matter '.repeat(100));
    expect(() => new SqliteStore(path)).toThrow(AssistantError);
    expect(() => new SqliteStore(path)).toThrow(/is not a usable assistant database .* left untouched/);
  });

  it('uses WAL, foreign keys and a busy timeout; keeps messages append-only', async () => {
    const path = join(directory, 'pragmas.db');
    const store = new SqliteStore(path);
    const database = new Database(path);
    expect(database.pragma('journal_mode', { simple: true })).toBe('wal');
    database.close();
    // The store's own connection:
    const internal = (store as unknown as { database: Database.Database }).database;
    expect(internal.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(internal.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(5000);
    internal.prepare("INSERT INTO sessions (id, created_at, updated_at) VALUES ('s', 0, 0)").run();
    internal.prepare("INSERT INTO messages (session_id, role, content, created_at) VALUES ('s', 'user', 'x', 0)").run();
    expect(() => internal.prepare("UPDATE messages SET content = 'y'").run()).toThrow(/append-only/);
    await store.close();
  });

  it('creates its directory 0700 (when asked: the default data directory) and file 0600', async () => {
    const path = join(directory, 'nested', 'deeper', 'assistant.db');
    await new SqliteStore(path, { createDirectory: true }).close();
    expect(statSync(join(directory, 'nested', 'deeper')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('otherwise refuses a file in a directory that does not exist, creating nothing', () => {
    const path = join(directory, 'typo', 'assistant.db');
    expect(() => new SqliteStore(path)).toThrow(/the directory .*typo does not exist/);
    expect(existsSync(join(directory, 'typo'))).toBe(false);
  });
});
