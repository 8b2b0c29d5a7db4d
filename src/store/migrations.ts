/**
 * The schema, as one ordered list of named steps for both dialects: the common SQL is written
 * once with the dialect's column types, and a step adds SQL of its own only where the dialects
 * must differ (full-text search, triggers). Each step runs once, recorded in schema_migrations
 * by version and name, inside one transaction that holds the write lock (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: an advisory lock), so processes opening a blank database at once
 * cannot both apply it. Never edit a step that has shipped: add a new one.
 */
import { AssistantError } from '../errors.js';
import type { ColumnTypes, Dialect, SqlConnection, SqlDatabase } from './sql-database.js';

export interface Migration {
  version: number;
  name: string;
  /** The SQL both dialects run, with their column types. */
  sql: (types: ColumnTypes) => string;
  /** Run after `sql` on that dialect only. */
  sqlite?: string;
  postgres?: string;
  /** Run last, for a step that must look at the schema first (a repair). */
  repair?: (connection: SqlConnection, dialect: Dialect) => Promise<void>;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, messages, full-text search, cache',
    sql: (types) => `
      CREATE TABLE sessions (
        id            TEXT PRIMARY KEY,
        created_at    ${types.bigint} NOT NULL,
        updated_at    ${types.bigint} NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0,
        preview       TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX sessions_by_activity ON sessions (updated_at DESC);

      CREATE TABLE messages (
        id                ${types.serialKey},
        session_id        TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content           TEXT NOT NULL,
        status            TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'interrupted', 'error')),
        model             TEXT,
        prompt_tokens     INTEGER,
        completion_tokens INTEGER,
        cached            ${types.boolean} NOT NULL DEFAULT ${types.false},
        created_at        ${types.bigint} NOT NULL
      );
      CREATE INDEX messages_by_session ON messages (session_id, id);

      CREATE TABLE cache (
        key         TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('chat', 'speech', 'transcription')),
        model       TEXT NOT NULL,
        value_text  TEXT,
        -- The session whose exchange produced the entry: deleting the session deletes it too.
        session_id  TEXT,
        value_blob  ${types.blob},
        metadata    ${types.json},
        size        ${types.bigint} NOT NULL,
        created_at  ${types.bigint} NOT NULL,
        last_hit_at ${types.bigint} NOT NULL,
        hit_count   ${types.bigint} NOT NULL DEFAULT 0
      );
      CREATE INDEX cache_by_recency ON cache (last_hit_at);
      CREATE INDEX cache_by_session ON cache (session_id) WHERE session_id IS NOT NULL;
    `,
    sqlite: `
      CREATE TRIGGER messages_are_append_only BEFORE UPDATE ON messages
        BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;

      CREATE VIRTUAL TABLE messages_search USING fts5 (
        content, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
      );
      -- Deleted messages leave the index at once instead of lingering until a merge.
      INSERT INTO messages_search (messages_search, rank) VALUES ('secure-delete', 1);
      CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
        BEGIN INSERT INTO messages_search (rowid, content) VALUES (new.id, new.content); END;
      CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
        BEGIN INSERT INTO messages_search (messages_search, rowid, content) VALUES ('delete', old.id, old.content); END;
    `,
    postgres: `
      CREATE FUNCTION messages_are_append_only() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'messages are append-only'; END $$;
      CREATE TRIGGER messages_are_append_only BEFORE UPDATE ON messages
        FOR EACH ROW EXECUTE FUNCTION messages_are_append_only();

      -- Lexemes of the content with diacritics removed (by the application), for full-text search.
      ALTER TABLE messages ADD COLUMN search TSVECTOR NOT NULL;
      CREATE INDEX messages_search ON messages USING GIN (search);
    `,
  },
  {
    version: 2,
    name: 'turns with stage timings',
    sql: (types) => `
      CREATE TABLE turns (
        id                   ${types.serialKey},
        session_id           TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_message_id      ${types.bigint} REFERENCES messages (id) ON DELETE SET NULL,
        assistant_message_id ${types.bigint} REFERENCES messages (id) ON DELETE SET NULL,
        input                TEXT NOT NULL CHECK (input IN ('voice', 'text', 'audio-file')),
        status               TEXT NOT NULL CHECK (status IN ('complete', 'interrupted', 'error')),
        -- Stage times, milliseconds since the epoch; NULL when the stage did not happen.
        speech_ended_at      ${types.bigint},
        endpoint_at          ${types.bigint},
        transcript_at        ${types.bigint},
        first_token_at       ${types.bigint},
        first_sentence_at    ${types.bigint},
        first_audio_at       ${types.bigint},
        audio_done_at        ${types.bigint},
        -- The headline: first audio played minus end of speech.
        time_to_first_audio_ms INTEGER,
        created_at           ${types.bigint} NOT NULL
      );
      CREATE INDEX turns_by_session ON turns (session_id, id);
    `,
  },
  {
    version: 3,
    name: 'request log; turn keys and resource use',
    sql: (types) => `
      CREATE TABLE requests (
        id             ${types.serialKey},
        at             ${types.bigint} NOT NULL,
        session_id     TEXT,
        turn_key       TEXT,
        endpoint       TEXT NOT NULL,
        host           TEXT NOT NULL,
        model          TEXT,
        status         INTEGER,
        error_class    TEXT,
        attempt        INTEGER NOT NULL DEFAULT 1,
        latency_ms     INTEGER,
        first_byte_ms  INTEGER,
        first_token_ms INTEGER,
        input_tokens   INTEGER,
        output_tokens  INTEGER,
        audio_seconds  ${types.real},
        characters     INTEGER,
        cached         ${types.boolean} NOT NULL DEFAULT ${types.false},
        request_id     TEXT
      );
      CREATE INDEX requests_by_time ON requests (at);
      CREATE INDEX requests_by_session ON requests (session_id) WHERE session_id IS NOT NULL;
      ALTER TABLE turns ADD COLUMN turn_key TEXT;
      ALTER TABLE turns ADD COLUMN cpu_ms INTEGER;
      ALTER TABLE turns ADD COLUMN peak_rss_bytes ${types.bigint};
    `,
  },
  {
    version: 4,
    name: 'session owners and settings',
    sql: (types) => `
      -- "user@host" of whoever started the session: --continue on a shared store picks your own.
      ALTER TABLE sessions ADD COLUMN owner TEXT;
      -- What continuing the session reuses unless overridden.
      ALTER TABLE sessions ADD COLUMN system TEXT;
      ALTER TABLE sessions ADD COLUMN model TEXT;
      ALTER TABLE sessions ADD COLUMN temperature ${types.real};
      CREATE INDEX sessions_by_owner ON sessions (owner, updated_at DESC);
    `,
  },
  {
    version: 5,
    name: 'repair: cache sessions for databases of the first release',
    // Step 1 was changed after the first release (6d82f73) had shipped it: its databases, already
    // at version 1, lack cache.session_id, and writing the cache or deleting a session failed.
    sql: () => '',
    // Idempotent: deleted messages leave the index at once (step 1 sets it on newer files).
    sqlite: `INSERT INTO messages_search (messages_search, rank) VALUES ('secure-delete', 1);`,
    repair: async (connection, dialect) => {
      if ((await connection.all(dialect.columnExists, ['cache', 'session_id'])).length === 0) {
        await connection.exec('ALTER TABLE cache ADD COLUMN session_id TEXT');
      }
      await connection.exec('CREATE INDEX IF NOT EXISTS cache_by_session ON cache (session_id) WHERE session_id IS NOT NULL');
    },
  },
  {
    version: 6,
    name: 'personal tokens for serve',
    sql: (types) => `
      CREATE TABLE tokens (
        id                  TEXT PRIMARY KEY,
        -- Who the token is for ("alice"): what token list, revoke and the request log name it by.
        name                TEXT NOT NULL UNIQUE,
        -- SHA-256 (hex) of the secret, looked up on every request; the secret itself is never stored.
        hash                TEXT NOT NULL UNIQUE,
        created_at          ${types.bigint} NOT NULL,
        last_used_at        ${types.bigint},
        -- Kept, not deleted, so a revoked token is refused as revoked and its history keeps its name.
        revoked_at          ${types.bigint},
        -- Limits; NULL: none.
        requests_per_minute INTEGER CHECK (requests_per_minute > 0),
        tokens_per_day      ${types.bigint} CHECK (tokens_per_day > 0)
      );
    `,
  },
  {
    version: 7,
    name: 'token usage counters for serve limits',
    sql: (types) => `
      -- One counter per token and window ('minute': requests; 'day': prompt + completion tokens),
      -- bumped by one upsert so replicas on one database count exactly, without read-then-write.
      -- No foreign key: a counter outlives nothing it needs, and tokens are never deleted.
      CREATE TABLE token_usage (
        token_id     TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('minute', 'day')),
        window_start ${types.bigint} NOT NULL,
        used         ${types.bigint} NOT NULL,
        PRIMARY KEY (token_id, kind, window_start)
      );
    `,
  },
  {
    version: 8,
    name: 'request log: the token each call was made for',
    sql: () => `
      -- The name of the personal token (assistant serve) a call was made for: the audit trail per person.
      ALTER TABLE requests ADD COLUMN token_name TEXT;
      CREATE INDEX requests_by_token ON requests (token_name, at) WHERE token_name IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'request log: calls made speculatively',
    sql: (types) => `
      -- talk starts a turn during a pause (speculation); its calls are marked, so the cost of
      -- speculation (calls for turns never committed) shows in stats.
      ALTER TABLE requests ADD COLUMN speculative ${types.boolean} NOT NULL DEFAULT ${types.false};
    `,
  },
  {
    version: 10,
    name: 'cache: its total size read from an index',
    sql: () => `
      -- Checking the cache against its size bound sums this index alone, without reading the
      -- cached values (100k entries: about 3 ms instead of 50 ms on SQLite).
      CREATE INDEX cache_by_size ON cache (size);
    `,
  },
];

/** The SQL of one step in one dialect. */
export function migrationSql(migration: Migration, dialect: Dialect): string {
  return migration.sql(dialect.types) + (migration[dialect.name] ?? '');
}

/** Applies the steps the database lacks; refuses a database written by a newer version. */
export async function migrate(database: SqlDatabase, steps: readonly Migration[] = migrations, now: () => number = Date.now): Promise<void> {
  const { dialect } = database;
  const latest = steps.at(-1)?.version ?? 0;
  // Read first without the lock: an up-to-date database (nearly every start) takes no write lock.
  if ((await appliedVersion(database, database, latest)) === latest) return;
  await database.transaction(async (connection) => {
    if (dialect.migrationLock !== undefined) await connection.all(dialect.migrationLock);
    await connection.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ${dialect.types.bigint} NOT NULL)`);
    // Read again under the lock: another process may have migrated meanwhile.
    const start = await appliedVersion(connection, database, latest);
    for (const step of steps) {
      if (step.version <= start) continue;
      await connection.exec(migrationSql(step, dialect));
      await step.repair?.(connection, dialect);
      await connection.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [step.version, step.name, now()]);
    }
  });
}

async function appliedVersion(connection: SqlConnection, database: SqlDatabase, latest: number): Promise<number> {
  if ((await connection.all(database.dialect.tableExists, ['schema_migrations'])).length === 0) return 0;
  const [row] = await connection.all<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
  const current = row?.version ?? 0;
  if (current > latest) {
    throw new AssistantError(
      `The database ${database.location} was written by a newer version of assistant (schema ${current}, this one knows ${latest}). Upgrade assistant; ${database.dialect.leftUntouched}.`,
    );
  }
  return current;
}
