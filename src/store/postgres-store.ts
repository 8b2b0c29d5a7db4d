/**
 * The shared store: PostgreSQL through a small pg pool. The same behaviour as SQLite
 * (the conformance suite in test/store/ runs against both); full-text search uses a
 * tsvector column with a GIN index, cached audio goes in bytea.
 */
import type { Pool, PoolClient } from 'pg';
import { AssistantError } from '../errors.js';
import { redactUrlPassword } from '../secrets.js';
import { migratePostgres } from './postgres-migrations.js';
import {
  SNIPPET_MARK_END,
  SNIPPET_MARK_START,
  type CacheEntry,
  type CacheKindStats,
  type NewCacheEntry,
  type NewMessage,
  type NewTurn,
  type RequestFilter,
  type RequestRecord,
  type StoreSize,
  type StoredRequest,
  type SearchHit,
  type SessionSummary,
  type Store,
  type StoredMessage,
  type StoredTurn,
  SessionDeletedError,
} from './store.js';
import { foldForSearch, plainTextSearchQuery, previewOf } from './text-search.js';
import { timeToFirstAudio } from './turn-timings.js';
import { fromRequestRow, requestColumns, sessionSettingsUpdate, toCacheEntry, toMessage, toRequestValues, toSession, toTurn, type RequestRow } from './rows.js';

export interface PostgresStoreOptions {
  now?: () => number;
  /** Connections in the pool. Default 4: one process rarely needs more. */
  poolSize?: number;
  /** Longest a statement may run, in milliseconds. Default 30000. */
  statementTimeoutMilliseconds?: number;
}

// pg rows: the column types are known by name only (see rows.ts for their shapes).
type Row = any;

export class PostgresStore implements Store {
  readonly description: string;

  private constructor(
    private readonly pool: Pool,
    private readonly where: string,
    private readonly now: () => number,
  ) {
    this.description = `PostgreSQL ${where}`;
  }

  /** Connects, checks the connection and brings the schema up to date. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pg = (await import('pg')).default;
    const target = describeTarget(url);
    const types = {
      // BIGINT (20) as a number: our values (times in ms, ids, sizes) stay far below 2^53.
      getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')),
    };
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 4,
      statement_timeout: options.statementTimeoutMilliseconds ?? 30_000,
      application_name: new URL(url).searchParams.get('application_name') ?? 'assistant',
      connectionTimeoutMillis: 10_000,
      types: types as never,
    });
    pool.on('error', () => {}); // an idle client dropped by the server: the next query reconnects
    const store = new PostgresStore(pool, target, options.now ?? Date.now);
    try {
      await store.withClient((client) => migratePostgres(client, target, undefined, store.now));
    } catch (error) {
      await pool.end().catch(() => {});
      throw translatePostgresError(error, url);
    }
    return store;
  }

  async appendMessage(message: NewMessage): Promise<StoredMessage> {
    const createdAt = this.now();
    const status = message.status ?? 'complete';
    const id = await this.transaction(async (client) => {
      if (message.replyTo !== undefined) {
        // FOR SHARE: a concurrent delete of the session waits for this answer, or this answer sees it gone.
        const { rows } = await client.query('SELECT 1 FROM messages WHERE id = $1 AND session_id = $2 FOR SHARE', [message.replyTo, message.sessionId]);
        if (rows.length === 0) throw new SessionDeletedError(message.sessionId);
      }
      await client.query('INSERT INTO sessions (id, created_at, updated_at, owner) VALUES ($1, $2, $2, $3) ON CONFLICT (id) DO NOTHING', [
        message.sessionId, createdAt, message.session?.owner ?? null,
      ]);
      const settings = sessionSettingsUpdate(message.session ?? {}, (index) => `$${index}`);
      if (settings.assignments.length > 0) {
        await client.query(`UPDATE sessions SET ${settings.assignments.join(', ')} WHERE id = $${settings.values.length + 1}`, [...settings.values, message.sessionId]);
      }
      const { rows } = await client.query(
        `INSERT INTO messages (session_id, role, content, status, model, prompt_tokens, completion_tokens, cached, created_at, search)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_tsvector('simple', $10)) RETURNING id`,
        [
          message.sessionId, message.role, message.content, status, message.model ?? null,
          message.usage?.promptTokens ?? null, message.usage?.completionTokens ?? null, message.cached ?? false, createdAt,
          foldForSearch(message.content),
        ],
      );
      await client.query(
        `UPDATE sessions SET updated_at = GREATEST(updated_at, $1), message_count = message_count + 1,
           preview = CASE WHEN preview = '' AND $2 = 'user' THEN $3 ELSE preview END
         WHERE id = $4`,
        [createdAt, message.role, previewOf(message.content), message.sessionId],
      );
      return rows[0].id as number;
    });
    return {
      id, sessionId: message.sessionId, role: message.role, content: message.content, status, model: message.model,
      usage: message.usage, cached: message.cached ?? false, createdAt: new Date(createdAt),
    };
  }

  async latestSessionId(owner?: string): Promise<string | undefined> {
    const rows = await this.query(
      'SELECT id FROM sessions WHERE ($1::text IS NULL OR owner = $1 OR owner IS NULL) ORDER BY updated_at DESC, created_at DESC, id DESC LIMIT 1',
      [owner ?? null],
    );
    return rows[0]?.id;
  }

  async getSession(id: string): Promise<SessionSummary | undefined> {
    const rows = await this.query('SELECT * FROM sessions WHERE id = $1', [id]);
    return rows[0] && toSession(rows[0]);
  }

  async listSessions({ limit }: { limit: number }): Promise<SessionSummary[]> {
    return (await this.query('SELECT * FROM sessions ORDER BY updated_at DESC, created_at DESC, id DESC LIMIT $1', [limit])).map(toSession);
  }

  async messages(sessionId: string): Promise<StoredMessage[]> {
    const rows = await this.query(
      `SELECT id, session_id, role, content, status, model, prompt_tokens, completion_tokens, cached, created_at
       FROM messages WHERE session_id = $1 ORDER BY id`,
      [sessionId],
    );
    return rows.map(toMessage);
  }

  async search(query: string, { limit }: { limit: number }): Promise<SearchHit[]> {
    if (plainTextSearchQuery(query) === undefined) return [];
    const rows = await this.query(
      `SELECT m.id, m.session_id, m.role, m.created_at,
              ts_headline('simple', m.content, q, $2) AS snippet
       FROM messages m, plainto_tsquery('simple', $1) AS q
       WHERE m.search @@ q ORDER BY m.id DESC LIMIT $3`,
      [foldForSearch(query), `StartSel=${SNIPPET_MARK_START}, StopSel=${SNIPPET_MARK_END}, MaxWords=16, MinWords=6, ShortWord=1`, limit],
    );
    return rows.map((row) => ({ sessionId: row.session_id, messageId: row.id, role: row.role, createdAt: new Date(row.created_at), snippet: row.snippet }));
  }

  async recordTurn(turn: NewTurn): Promise<StoredTurn> {
    const createdAt = this.now();
    const t = turn.timings;
    const firstAudio = timeToFirstAudio(t);
    const rows = await this.query(
      `INSERT INTO turns (session_id, user_message_id, assistant_message_id, input, status, speech_ended_at, endpoint_at,
         transcript_at, first_token_at, first_sentence_at, first_audio_at, audio_done_at, time_to_first_audio_ms, created_at,
         turn_key, cpu_ms, peak_rss_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
      [
        turn.sessionId, turn.userMessageId ?? null, turn.assistantMessageId ?? null, turn.input, turn.status,
        t.speechEndedAt ?? null, t.endpointAt ?? null, t.transcriptAt ?? null, t.firstTokenAt ?? null,
        t.firstSentenceAt ?? null, t.firstAudioAt ?? null, t.audioDoneAt ?? null, firstAudio ?? null, createdAt,
        turn.turnKey ?? null, turn.cpuMilliseconds ?? null, turn.peakRssBytes ?? null,
      ].map((value) => (typeof value === 'number' ? Math.round(value) : value)),
    );
    return { ...turn, id: rows[0]!.id, timeToFirstAudioMilliseconds: firstAudio, createdAt: new Date(createdAt) };
  }

  async turns(sessionId: string): Promise<StoredTurn[]> {
    return (await this.query('SELECT * FROM turns WHERE session_id = $1 ORDER BY id', [sessionId])).map(toTurn);
  }

  async turnsMatching(filter: RequestFilter): Promise<StoredTurn[]> {
    const rows = await this.query('SELECT * FROM turns WHERE created_at >= $1 AND ($2::text IS NULL OR session_id = $2) ORDER BY id', [
      filter.since ?? 0,
      filter.sessionId ?? null,
    ]);
    return rows.map(toTurn);
  }

  async recordRequests(records: RequestRecord[]): Promise<void> {
    if (records.length === 0) return;
    const width = requestColumns.length;
    const placeholders = records.map((_, row) => `(${requestColumns.map((__, column) => `$${row * width + column + 1}`).join(', ')})`);
    await this.query(`INSERT INTO requests (${requestColumns.join(', ')}) VALUES ${placeholders.join(', ')}`, records.flatMap(toRequestValues));
  }

  async requests(filter: RequestFilter): Promise<StoredRequest[]> {
    const rows = await this.query(
      `SELECT * FROM requests WHERE at >= $1 AND ($2::text IS NULL OR session_id = $2) AND ($3::text IS NULL OR model = $3)
         AND (NOT $4 OR error_class IS NOT NULL OR status >= 400)
       ORDER BY id DESC LIMIT $5`,
      [filter.since ?? 0, filter.sessionId ?? null, filter.model ?? null, filter.errorsOnly === true, filter.limit ?? null],
    );
    return rows.map((row) => fromRequestRow(row as RequestRow));
  }

  async requestTotals(since: number): Promise<{ requests: number; tokens: number }> {
    const rows = await this.query(
      // Negative counts (written by a lying server before they were validated) must not offset the limit.
      'SELECT COUNT(*)::bigint AS requests, COALESCE(SUM(GREATEST(COALESCE(input_tokens, 0), 0) + GREATEST(COALESCE(output_tokens, 0), 0)), 0)::bigint AS tokens FROM requests WHERE at >= $1 AND NOT cached',
      [since],
    );
    return { requests: rows[0]!.requests, tokens: rows[0]!.tokens };
  }

  async pruneRequests(before: number): Promise<number> {
    return (await this.query('DELETE FROM requests WHERE at < $1 RETURNING 1', [before])).length;
  }

  async size(): Promise<StoreSize> {
    const tables = ['sessions', 'messages', 'cache', 'turns', 'requests'];
    const sizes = await this.query(`SELECT SUM(pg_total_relation_size(name::regclass))::bigint AS bytes FROM unnest($1::text[]) AS name`, [tables]);
    const rows: Record<string, number> = {};
    for (const table of tables) rows[table] = (await this.query(`SELECT COUNT(*)::bigint AS count FROM ${table}`))[0]!.count;
    return { bytes: sizes[0]!.bytes, rows };
  }

  async deleteSession(id: string): Promise<number | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query('DELETE FROM sessions WHERE id = $1 RETURNING message_count', [id]);
      if (rows.length === 0) return undefined;
      await client.query('DELETE FROM cache WHERE session_id = $1', [id]);
      return rows[0].message_count as number;
    });
  }

  async cacheGet(key: string, { ttlSeconds }: { ttlSeconds?: number | undefined }): Promise<CacheEntry | undefined> {
    const now = this.now();
    if (ttlSeconds !== undefined) {
      const expired = await this.query('DELETE FROM cache WHERE key = $1 AND created_at < $2 RETURNING key', [key, Math.round(now - ttlSeconds * 1000)]);
      if (expired.length > 0) return undefined;
    }
    const rows = await this.query('UPDATE cache SET last_hit_at = $1, hit_count = hit_count + 1 WHERE key = $2 RETURNING *', [now, key]);
    return rows[0] && toCacheEntry(rows[0]);
  }

  async cachePut(entry: NewCacheEntry, { maxBytes }: { maxBytes: number }): Promise<void> {
    const now = this.now();
    const size = entry.blob?.byteLength ?? Buffer.byteLength(entry.text ?? '');
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO cache (key, kind, model, value_text, value_blob, metadata, session_id, size, created_at, last_hit_at, hit_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 0)
         ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, model = EXCLUDED.model, value_text = EXCLUDED.value_text,
           value_blob = EXCLUDED.value_blob, metadata = EXCLUDED.metadata, session_id = EXCLUDED.session_id, size = EXCLUDED.size,
           created_at = EXCLUDED.created_at, last_hit_at = EXCLUDED.last_hit_at, hit_count = 0`,
        [entry.key, entry.kind, entry.model, entry.text ?? null, entry.blob ? Buffer.from(entry.blob) : null, entry.metadata ?? null, entry.sessionId ?? null, size, now],
      );
      // Keep the most recently used entries whose sizes add up to maxBytes; drop the rest.
      await client.query(
        `DELETE FROM cache WHERE key IN (
           SELECT key FROM (SELECT key, SUM(size) OVER (ORDER BY last_hit_at DESC, created_at DESC, key) AS running FROM cache) ranked
           WHERE running > $1)`,
        [maxBytes],
      );
    });
  }

  async cacheStats(): Promise<CacheKindStats[]> {
    return (await this.query(
      `SELECT kind, COUNT(*)::bigint AS entries, COALESCE(SUM(size), 0)::bigint AS bytes, COALESCE(SUM(hit_count), 0)::bigint AS hits
       FROM cache GROUP BY kind ORDER BY kind`,
    )) as CacheKindStats[];
  }

  async *cacheEntries(): AsyncIterable<CacheEntry> {
    // Keyset pages, so a large cache is never read into memory at once.
    let after = '';
    for (;;) {
      const rows = await this.query('SELECT * FROM cache WHERE key > $1 ORDER BY key LIMIT 200', [after]);
      if (rows.length === 0) return;
      for (const row of rows) yield toCacheEntry(row);
      after = rows.at(-1)!.key;
    }
  }

  async importSession(session: SessionSummary, messages: StoredMessage[]): Promise<number> {
    return this.transaction(async (client) => {
      await client.query(
        `INSERT INTO sessions (id, created_at, updated_at, preview, owner, system, model, temperature)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
        [session.id, session.createdAt.getTime(), session.updatedAt.getTime(), session.preview, session.owner ?? null, session.system ?? null, session.model ?? null, session.temperature ?? null],
      );
      // Rows for this session are locked, so two copies at once cannot both add a message.
      await client.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [session.id]);
      let added = 0;
      for (const message of messages) {
        const at = message.createdAt.getTime();
        const { rows } = await client.query('SELECT 1 FROM messages WHERE session_id = $1 AND created_at = $2 AND role = $3 AND content = $4 LIMIT 1', [session.id, at, message.role, message.content]);
        if (rows.length > 0) continue;
        await client.query(
          `INSERT INTO messages (session_id, role, content, status, model, prompt_tokens, completion_tokens, cached, created_at, search)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_tsvector('simple', $10))`,
          [session.id, message.role, message.content, message.status, message.model ?? null, message.usage?.promptTokens ?? null, message.usage?.completionTokens ?? null, message.cached, at, foldForSearch(message.content)],
        );
        added += 1;
      }
      await client.query(
        `UPDATE sessions SET message_count = (SELECT COUNT(*) FROM messages WHERE session_id = $1),
           created_at = LEAST(created_at, $2), updated_at = GREATEST(updated_at, $3), preview = CASE WHEN preview = '' THEN $4 ELSE preview END
         WHERE id = $1`,
        [session.id, session.createdAt.getTime(), session.updatedAt.getTime(), session.preview],
      );
      return added;
    });
  }

  async importCacheEntry(entry: CacheEntry): Promise<boolean> {
    const rows = await this.query(
      `INSERT INTO cache (key, kind, model, value_text, value_blob, metadata, session_id, size, created_at, last_hit_at, hit_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (key) DO NOTHING RETURNING key`,
      [
        entry.key, entry.kind, entry.model, entry.text ?? null, entry.blob ? Buffer.from(entry.blob) : null, entry.metadata ?? null,
        entry.sessionId ?? null, entry.size, entry.createdAt.getTime(), entry.lastHitAt.getTime(), entry.hitCount,
      ],
    );
    return rows.length > 0;
  }

  async cacheClear(): Promise<{ entries: number; bytes: number }> {
    const rows = await this.query('WITH gone AS (DELETE FROM cache RETURNING size) SELECT COUNT(*)::bigint AS entries, COALESCE(SUM(size), 0)::bigint AS bytes FROM gone');
    return { entries: rows[0]!.entries, bytes: rows[0]!.bytes };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async query(sql: string, parameters: unknown[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query(sql, parameters)).rows;
    } catch (error) {
      throw translatePostgresError(error, this.where);
    }
  }

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await this.withClient(async (client) => {
        await client.query('BEGIN');
        try {
          const result = await work(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      });
    } catch (error) {
      throw translatePostgresError(error, this.where);
    }
  }
}

/** "host:port/database" for messages: never the user's password. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname || '/'}`;
  } catch {
    return redactUrlPassword(url);
  }
}

export function translatePostgresError(error: unknown, url: string): Error {
  if (error instanceof AssistantError) return error;
  const where = url.includes('://') ? describeTarget(url) : url;
  const database = where.split('/').pop() || 'the database';
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  const make = (text: string): AssistantError => new AssistantError(text, { cause: error });
  switch (code) {
    case 'ECONNREFUSED':
      return make(`Cannot connect to PostgreSQL at ${where} (connection refused). Is the server running? Check DATABASE_URL.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make(`Cannot resolve the PostgreSQL host in DATABASE_URL (${where}).`);
    case '28P01':
      return make(`PostgreSQL at ${where} rejected the password. Check the user and password in DATABASE_URL.`);
    case '28000':
      return make(`PostgreSQL at ${where} refused the connection: ${message}. Check the user in DATABASE_URL.`);
    case '3D000':
      return make(`The PostgreSQL database "${database}" does not exist at ${where}. Create it (createdb ${database}) or fix DATABASE_URL.`);
    case '57014':
      return make(`A PostgreSQL statement at ${where} took too long and was cancelled.`);
    case '42501':
      return make(`PostgreSQL at ${where} denied permission: ${message}.`);
    default:
      break;
  }
  if (/user name specified|no PostgreSQL user name/i.test(message)) {
    return make(`No PostgreSQL user for ${where}: put it in DATABASE_URL (postgres://user:password@host/database) or set PGUSER.`);
  }
  if (/timeout/i.test(message) && /connect/i.test(message)) {
    return make(`Connecting to PostgreSQL at ${where} timed out. Check the host and your network.`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
