/**
 * The PostgreSQL schema: the same numbered steps as SQLite's (sqlite-migrations.ts), in
 * PostgreSQL's dialect. An advisory lock makes processes that start at once on an empty
 * database take turns, so only one of them creates the schema.
 */
import type { PoolClient } from 'pg';
import { AssistantError } from '../errors.js';
import type { Migration } from './sqlite-migrations.js';

/** Any constant shared by every assistant process: the advisory lock's key. */
const MIGRATION_LOCK = 0x61737374; // "asst"

export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, messages, full-text search, cache',
    sql: `
      CREATE TABLE sessions (
        id            TEXT PRIMARY KEY,
        created_at    BIGINT NOT NULL,
        updated_at    BIGINT NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0,
        preview       TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX sessions_by_activity ON sessions (updated_at DESC);

      CREATE TABLE messages (
        id                BIGSERIAL PRIMARY KEY,
        session_id        TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content           TEXT NOT NULL,
        status            TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'interrupted', 'error')),
        model             TEXT,
        prompt_tokens     INTEGER,
        completion_tokens INTEGER,
        cached            BOOLEAN NOT NULL DEFAULT FALSE,
        created_at        BIGINT NOT NULL,
        -- Lexemes of the content with diacritics removed (by the application), for full-text search.
        search            TSVECTOR NOT NULL
      );
      CREATE INDEX messages_by_session ON messages (session_id, id);
      CREATE INDEX messages_search ON messages USING GIN (search);
      CREATE FUNCTION messages_are_append_only() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'messages are append-only'; END $$;
      CREATE TRIGGER messages_are_append_only BEFORE UPDATE ON messages
        FOR EACH ROW EXECUTE FUNCTION messages_are_append_only();

      CREATE TABLE cache (
        key         TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('chat', 'speech', 'transcription')),
        model       TEXT NOT NULL,
        value_text  TEXT,
        value_blob  BYTEA,
        session_id  TEXT,
        metadata    JSONB,
        size        BIGINT NOT NULL,
        created_at  BIGINT NOT NULL,
        last_hit_at BIGINT NOT NULL,
        hit_count   BIGINT NOT NULL DEFAULT 0
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
        id                     BIGSERIAL PRIMARY KEY,
        session_id             TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_message_id        BIGINT REFERENCES messages (id) ON DELETE SET NULL,
        assistant_message_id   BIGINT REFERENCES messages (id) ON DELETE SET NULL,
        input                  TEXT NOT NULL CHECK (input IN ('voice', 'text', 'audio-file')),
        status                 TEXT NOT NULL CHECK (status IN ('complete', 'interrupted', 'error')),
        speech_ended_at        BIGINT,
        endpoint_at            BIGINT,
        transcript_at          BIGINT,
        first_token_at         BIGINT,
        first_sentence_at      BIGINT,
        first_audio_at         BIGINT,
        audio_done_at          BIGINT,
        time_to_first_audio_ms INTEGER,
        created_at             BIGINT NOT NULL
      );
      CREATE INDEX turns_by_session ON turns (session_id, id);
    `,
  },
  {
    version: 3,
    name: 'request log; turn keys and resource use',
    sql: `
      CREATE TABLE requests (
        id             BIGSERIAL PRIMARY KEY,
        at             BIGINT NOT NULL,
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
        audio_seconds  DOUBLE PRECISION,
        characters     INTEGER,
        cached         BOOLEAN NOT NULL DEFAULT FALSE,
        request_id     TEXT
      );
      CREATE INDEX requests_by_time ON requests (at);
      CREATE INDEX requests_by_session ON requests (session_id) WHERE session_id IS NOT NULL;
      ALTER TABLE turns ADD COLUMN turn_key TEXT;
      ALTER TABLE turns ADD COLUMN cpu_ms INTEGER;
      ALTER TABLE turns ADD COLUMN peak_rss_bytes BIGINT;
    `,
  },
  {
    version: 4,
    name: 'session owners and settings',
    sql: `
      ALTER TABLE sessions ADD COLUMN owner TEXT;
      ALTER TABLE sessions ADD COLUMN system TEXT;
      ALTER TABLE sessions ADD COLUMN model TEXT;
      ALTER TABLE sessions ADD COLUMN temperature DOUBLE PRECISION;
      CREATE INDEX sessions_by_owner ON sessions (owner, updated_at DESC);
    `,
  },
];

export async function migratePostgres(client: PoolClient, describe: string, migrations: readonly Migration[] = postgresMigrations, now = Date.now): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
    const current = rows[0]?.version ?? 0;
    const latest = migrations.at(-1)?.version ?? 0;
    if (current > latest) {
      throw new AssistantError(
        `The database ${describe} was written by a newer version of assistant (schema ${current}, this one knows ${latest}). Upgrade assistant; the database was left untouched.`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, now()]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
