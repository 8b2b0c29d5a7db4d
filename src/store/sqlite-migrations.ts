/**
 * The SQLite schema, as an ordered list of named steps. Each step runs once, inside the
 * same IMMEDIATE transaction that records it in schema_migrations, so two processes
 * opening a blank database at once cannot both apply it. Never edit a step that has
 * shipped: add a new one.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { AssistantError } from '../errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, messages, full-text search, cache',
    sql: `
      CREATE TABLE sessions (
        id            TEXT PRIMARY KEY,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0,
        preview       TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX sessions_by_activity ON sessions (updated_at DESC);

      CREATE TABLE messages (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id        TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content           TEXT NOT NULL,
        status            TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'interrupted', 'error')),
        model             TEXT,
        prompt_tokens     INTEGER,
        completion_tokens INTEGER,
        cached            INTEGER NOT NULL DEFAULT 0,
        created_at        INTEGER NOT NULL
      );
      CREATE INDEX messages_by_session ON messages (session_id, id);
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

      CREATE TABLE cache (
        key         TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('chat', 'speech', 'transcription')),
        model       TEXT NOT NULL,
        value_text  TEXT,
        -- The session whose exchange produced the entry: deleting the session deletes it too.
        session_id  TEXT,
        value_blob  BLOB,
        metadata    TEXT,
        size        INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        last_hit_at INTEGER NOT NULL,
        hit_count   INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX cache_by_recency ON cache (last_hit_at);
      CREATE INDEX cache_by_session ON cache (session_id) WHERE session_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'turns with stage timings',
    sql: `
      CREATE TABLE turns (
        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id           TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_message_id      INTEGER REFERENCES messages (id) ON DELETE SET NULL,
        assistant_message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
        input                TEXT NOT NULL CHECK (input IN ('voice', 'text', 'audio-file')),
        status               TEXT NOT NULL CHECK (status IN ('complete', 'interrupted', 'error')),
        -- Stage times, milliseconds since the epoch; NULL when the stage did not happen.
        speech_ended_at      INTEGER,
        endpoint_at          INTEGER,
        transcript_at        INTEGER,
        first_token_at       INTEGER,
        first_sentence_at    INTEGER,
        first_audio_at       INTEGER,
        audio_done_at        INTEGER,
        -- The headline: first audio played minus end of speech.
        time_to_first_audio_ms INTEGER,
        created_at           INTEGER NOT NULL
      );
      CREATE INDEX turns_by_session ON turns (session_id, id);
    `,
  },
  {
    version: 3,
    name: 'request log; turn keys and resource use',
    sql: `
      CREATE TABLE requests (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        at             INTEGER NOT NULL,
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
        audio_seconds  REAL,
        characters     INTEGER,
        cached         INTEGER NOT NULL DEFAULT 0,
        request_id     TEXT
      );
      CREATE INDEX requests_by_time ON requests (at);
      CREATE INDEX requests_by_session ON requests (session_id) WHERE session_id IS NOT NULL;
      ALTER TABLE turns ADD COLUMN turn_key TEXT;
      ALTER TABLE turns ADD COLUMN cpu_ms INTEGER;
      ALTER TABLE turns ADD COLUMN peak_rss_bytes INTEGER;
    `,
  },
  {
    version: 4,
    name: 'session owners and settings',
    sql: `
      -- "user@host" of whoever started the session: --continue on a shared store picks your own.
      ALTER TABLE sessions ADD COLUMN owner TEXT;
      -- What continuing the session reuses unless overridden.
      ALTER TABLE sessions ADD COLUMN system TEXT;
      ALTER TABLE sessions ADD COLUMN model TEXT;
      ALTER TABLE sessions ADD COLUMN temperature REAL;
      CREATE INDEX sessions_by_owner ON sessions (owner, updated_at DESC);
    `,
  },
];

export function migrate(database: BetterSqlite3.Database, migrations: readonly Migration[] = sqliteMigrations, now = Date.now): void {
  database.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = (): number =>
    (database.prepare('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations').get() as { version: number }).version;
  const latest = migrations.at(-1)?.version ?? 0;

  const current = applied();
  if (current > latest) {
    throw new AssistantError(
      `The database ${database.name} was written by a newer version of assistant (schema ${current}, this one knows ${latest}). Upgrade assistant; the file was left untouched.`,
    );
  }
  if (current === latest) return;

  const record = database.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  database
    .transaction(() => {
      // Read again under the write lock: another process may have migrated meanwhile.
      const start = applied();
      for (const migration of migrations) {
        if (migration.version <= start) continue;
        database.exec(migration.sql);
        record.run(migration.version, migration.name, now());
      }
    })
    .immediate();
}
