/**
 * The one Store: the same SQL over SQLite and PostgreSQL. What differs between the two (column
 * types, full-text search, locks, size on disk, placeholders) is asked of the database's
 * dialect (sql-database.ts, dialects/), so a fix here lands on both.
 */
import { randomUUID } from 'node:crypto';
import { AssistantError } from '../errors.js';
import { migrate } from './migrations.js';
import {
  fromRequestRow, requestColumns, sessionSettingsColumns, toCacheEntry, toMessage, toRequestValues, toSession, toToken, tokenColumns, toTurn,
  type CacheRow, type MessageRow, type RequestRow, type SessionRow, type TokenRow, type TurnRow,
} from './rows.js';
import type { SqlDatabase } from './sql-database.js';
import {
  SessionDeletedError,
  cacheEntrySize,
  type CacheBound,
  type CacheEntry,
  type CacheKindStats,
  type NewCacheEntry,
  type NewMessage,
  type NewToken,
  type NewTurn,
  type RequestFilter,
  type RequestRecord,
  type SearchHit,
  type SessionSummary,
  type Store,
  type StoreSize,
  type StoredMessage,
  type StoredRequest,
  type StoredTurn,
  type TokenForCopy,
  type TokenRecord,
} from './store.js';
import { previewOf } from './text-search.js';
import { timeToFirstAudio } from './turn-timings.js';

const MESSAGE_COLUMNS = 'id, session_id, role, content, status, model, prompt_tokens, completion_tokens, cached, created_at';
/** Written by name; read with *, as databases of the first development builds lack session_id (see rows.ts). */
const CACHE_COLUMNS = 'key, kind, model, value_text, value_blob, metadata, session_id, size, created_at, last_hit_at, hit_count';
const TABLES = ['sessions', 'messages', 'cache', 'turns', 'requests'] as const;
/** Sessions with the same last activity: the one created later, then the larger id, comes first. */
const NEWEST_SESSION_FIRST = 'ORDER BY updated_at DESC, created_at DESC, id DESC';

export class SqlStore implements Store {
  readonly description: string;

  /** Brings the schema up to date, then serves it; closes the database when that fails. */
  static async open<T extends SqlStore>(this: new (database: SqlDatabase, now: () => number) => T, database: SqlDatabase, now: () => number = Date.now): Promise<T> {
    try {
      await migrate(database, undefined, now);
    } catch (error) {
      await database.close().catch(() => undefined);
      throw error;
    }
    return new this(database, now);
  }

  /** `database` must be migrated already: use SqlStore.open. `now` gives the stored times, in ms since the epoch. */
  constructor(
    private readonly database: SqlDatabase,
    private readonly now: () => number,
  ) {
    this.description = database.description;
  }

  async appendMessage(message: NewMessage): Promise<StoredMessage> {
    const createdAt = this.now();
    const status = message.status ?? 'complete';
    const { lockRows, insertsInWith } = this.database.dialect;
    const search = this.database.dialect.searchColumns(message.content);
    const session = sessionUpsert(message, createdAt);
    const columns = `session_id, role, content, status, model, prompt_tokens, completion_tokens, cached, created_at${search.columns}`;
    const values = [
      message.role, message.content, status, message.model ?? null, message.usage?.promptTokens ?? null,
      message.usage?.completionTokens ?? null, message.cached ?? false, createdAt, ...search.values,
    ];
    const placeholders = `?, ?, ?, ?, ?, ?, ?, ?${search.placeholders}`;
    let id: number;
    if (message.replyTo === undefined && insertsInWith) {
      // A question: its session's row and the message in one statement (one round trip, one commit).
      const [row] = await this.database.all<{ id: number }>(
        `WITH session AS (${session.sql} RETURNING id) INSERT INTO messages (${columns}) VALUES ((SELECT id FROM session), ${placeholders}) RETURNING id`,
        [...session.values, ...values],
      );
      id = row!.id;
    } else if (insertsInWith) {
      // An answer, in one statement too: only while its question is there, locked for share (a
      // concurrent delete of the session waits for this answer, or this answer sees it gone).
      const settings = sessionSettingsColumns(message.session ?? {});
      const [row] = await this.database.all<{ id: number }>(
        `WITH question AS (SELECT 1 FROM messages WHERE id = ? AND session_id = ? FOR SHARE),
              session AS (UPDATE sessions SET updated_at = CASE WHEN updated_at > ? THEN updated_at ELSE ? END, message_count = message_count + 1,
                            preview = CASE WHEN preview = '' THEN ? ELSE preview END${settings.columns.map((column) => `, ${column} = ?`).join('')}
                          WHERE id = ? AND EXISTS (SELECT 1 FROM question) RETURNING id)
         INSERT INTO messages (${columns})
         SELECT id, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS BOOLEAN), CAST(? AS BIGINT)${search.placeholders}
         FROM session RETURNING id`,
        [message.replyTo, message.sessionId, createdAt, createdAt, previewFor(message), ...settings.values, message.sessionId, ...values],
      );
      if (row === undefined) throw new SessionDeletedError(message.sessionId);
      id = row.id;
    } else {
      id = await this.database.transaction(async (connection) => {
        // Locked for share: a concurrent delete of the session waits for this answer, or this answer sees it gone.
        if (message.replyTo !== undefined && (await connection.all(lockRows('SELECT 1 FROM messages WHERE id = ? AND session_id = ?', 'share'), [message.replyTo, message.sessionId])).length === 0) {
          throw new SessionDeletedError(message.sessionId);
        }
        await connection.run(session.sql, session.values);
        const [row] = await connection.all<{ id: number }>(`INSERT INTO messages (${columns}) VALUES (?, ${placeholders}) RETURNING id`, [message.sessionId, ...values]);
        return row!.id;
      });
    }
    return {
      id, sessionId: message.sessionId, role: message.role, content: message.content, status, model: message.model,
      usage: message.usage, cached: message.cached ?? false, createdAt: new Date(createdAt),
    };
  }

  async latestSessionId(owner?: string): Promise<string | undefined> {
    const mine = owner === undefined ? '' : 'WHERE owner = ? OR owner IS NULL';
    const [row] = await this.database.all<{ id: string }>(`SELECT id FROM sessions ${mine} ${NEWEST_SESSION_FIRST} LIMIT 1`, owner === undefined ? [] : [owner]);
    return row?.id;
  }

  async getSession(id: string): Promise<SessionSummary | undefined> {
    const [row] = await this.database.all<SessionRow>('SELECT * FROM sessions WHERE id = ?', [id]);
    return row && toSession(row);
  }

  async listSessions({ limit, owner }: { limit: number; owner?: string | undefined }): Promise<SessionSummary[]> {
    const mine = owner === undefined ? '' : 'WHERE owner = ?';
    return (await this.database.all<SessionRow>(`SELECT * FROM sessions ${mine} ${NEWEST_SESSION_FIRST} LIMIT ?`, [...(owner === undefined ? [] : [owner]), limit])).map(toSession);
  }

  async messages(sessionId: string): Promise<StoredMessage[]> {
    return (await this.database.all<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE session_id = ? ORDER BY id`, [sessionId])).map(toMessage);
  }

  async search(query: string, { limit, owner, session }: { limit: number; owner?: string | undefined; session?: string | undefined }): Promise<SearchHit[]> {
    const search = this.database.dialect.searchQuery(query, limit, { owner, session });
    if (search === undefined) return [];
    const rows = await this.database.all<Pick<MessageRow, 'id' | 'session_id' | 'role' | 'created_at'> & { snippet: string }>(search.sql, search.parameters);
    return rows.map((row) => ({ sessionId: row.session_id, messageId: row.id, role: row.role, createdAt: new Date(row.created_at), snippet: row.snippet }));
  }

  async recordTurn(turn: NewTurn): Promise<StoredTurn> {
    const createdAt = this.now();
    const timings = turn.timings;
    const firstAudio = timeToFirstAudio(timings);
    // Whole milliseconds and bytes: the columns are integers in both dialects.
    const [row] = await this.database.bookkeeping.all<{ id: number }>(
      `INSERT INTO turns (session_id, user_message_id, assistant_message_id, input, status, speech_ended_at, endpoint_at,
         transcript_at, first_token_at, first_sentence_at, first_audio_at, audio_done_at, time_to_first_audio_ms, created_at,
         turn_key, cpu_ms, peak_rss_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        turn.sessionId, turn.userMessageId ?? null, turn.assistantMessageId ?? null, turn.input, turn.status,
        timings.speechEndedAt ?? null, timings.endpointAt ?? null, timings.transcriptAt ?? null, timings.firstTokenAt ?? null,
        timings.firstSentenceAt ?? null, timings.firstAudioAt ?? null, timings.audioDoneAt ?? null, firstAudio ?? null, createdAt,
        turn.turnKey ?? null, turn.cpuMilliseconds ?? null, turn.peakRssBytes ?? null,
      ].map((value) => (typeof value === 'number' ? Math.round(value) : value)),
    );
    return { ...turn, id: row!.id, timeToFirstAudioMilliseconds: firstAudio, createdAt: new Date(createdAt) };
  }

  async turns(sessionId: string): Promise<StoredTurn[]> {
    return (await this.database.all<TurnRow>('SELECT * FROM turns WHERE session_id = ? ORDER BY id', [sessionId])).map(toTurn);
  }

  async turnsMatching(filter: RequestFilter): Promise<StoredTurn[]> {
    const where = conditions([['created_at >= ?', filter.since ?? 0], ['session_id = ?', filter.sessionId]]);
    return (await this.database.all<TurnRow>(`SELECT * FROM turns WHERE ${where.sql} ORDER BY id`, where.parameters)).map(toTurn);
  }

  async recordRequests(records: RequestRecord[]): Promise<void> {
    if (records.length === 0) return;
    const row = `(${requestColumns.map(() => '?').join(', ')})`;
    await this.database.bookkeeping.run(`INSERT INTO requests (${requestColumns.join(', ')}) VALUES ${records.map(() => row).join(', ')}`, records.flatMap(toRequestValues));
  }

  async requests(filter: RequestFilter): Promise<StoredRequest[]> {
    const where = conditions([['at >= ?', filter.since ?? 0], ['session_id = ?', filter.sessionId], ['model = ?', filter.model], ['token_name = ?', filter.token]]);
    const errors = filter.errorsOnly ? ' AND (error_class IS NOT NULL OR status >= 400)' : '';
    const limit = filter.limit === undefined ? '' : ' LIMIT ?';
    const rows = await this.database.all<RequestRow>(`SELECT * FROM requests WHERE ${where.sql}${errors} ORDER BY id DESC${limit}`, [
      ...where.parameters, ...(filter.limit === undefined ? [] : [filter.limit]),
    ]);
    return rows.map(fromRequestRow);
  }

  async requestTotals(since: number): Promise<{ requests: number; tokens: number }> {
    const [totals] = await this.database.all<{ requests: number; tokens: number }>(
      // Negative counts (written by a lying server before they were validated) must not offset the limit.
      `SELECT CAST(COUNT(*) AS BIGINT) AS requests,
              CAST(COALESCE(SUM(CASE WHEN input_tokens > 0 THEN input_tokens ELSE 0 END + CASE WHEN output_tokens > 0 THEN output_tokens ELSE 0 END), 0) AS BIGINT) AS tokens
       FROM requests WHERE at >= ? AND NOT cached`,
      [since],
    );
    return { requests: totals!.requests, tokens: totals!.tokens };
  }

  async pruneRequests(before: number): Promise<number> {
    return this.database.bookkeeping.run('DELETE FROM requests WHERE at < ?', [before]);
  }

  async size(): Promise<StoreSize> {
    const rows: Record<string, number> = {};
    for (const table of TABLES) rows[table] = (await this.database.all<{ count: number }>(`SELECT CAST(COUNT(*) AS BIGINT) AS count FROM ${table}`))[0]!.count;
    return { bytes: await this.database.sizeInBytes(TABLES), rows };
  }

  async deleteSession(id: string): Promise<number | undefined> {
    const removed = await this.database.transaction(async (connection) => {
      const [session] = await connection.all<{ message_count: number }>('DELETE FROM sessions WHERE id = ? RETURNING message_count', [id]);
      if (session === undefined) return undefined;
      await connection.run('DELETE FROM cache WHERE session_id = ?', [id]);
      return session.message_count;
    });
    if (removed !== undefined) await this.database.forgetDeleted();
    return removed;
  }

  async cacheGet(key: string, { ttlSeconds }: { ttlSeconds?: number | undefined }): Promise<CacheEntry | undefined> {
    const now = this.now();
    if (ttlSeconds !== undefined) {
      // created_at < now - ttl, in whole milliseconds (the column is an integer): created_at < ceil(now - ttl).
      const expired = await this.database.run('DELETE FROM cache WHERE key = ? AND created_at < ?', [key, Math.ceil(now - ttlSeconds * 1000)]);
      if (expired > 0) return undefined;
    }
    const [row] = await this.database.all<CacheRow>(`UPDATE cache SET last_hit_at = ?, hit_count = hit_count + 1 WHERE key = ? RETURNING *`, [now, key]);
    return row && toCacheEntry(row);
  }

  async cachePut(entry: NewCacheEntry, { maxBytes, keepBytes = maxBytes }: CacheBound = {}): Promise<void> {
    const now = this.now();
    // Its own statement (one round trip on PostgreSQL): an eviction that fails or is left to another process never costs the entry.
    await this.database.run(
      `INSERT INTO cache (${CACHE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, model = excluded.model, value_text = excluded.value_text,
         value_blob = excluded.value_blob, metadata = excluded.metadata, session_id = excluded.session_id, size = excluded.size,
         created_at = excluded.created_at, last_hit_at = excluded.last_hit_at, hit_count = 0`,
      [entry.key, entry.kind, entry.model, ...cacheValues(entry), cacheEntrySize(entry), now, now],
    );
    if (maxBytes === undefined || keepBytes === undefined) return;
    await this.database.transaction(async (connection) => {
      // One eviction at a time (PostgreSQL): two ranked DELETEs can lock the same rows in different orders and deadlock; the one already at it does the work.
      const lock = this.database.dialect.evictionLock;
      if (lock !== undefined && !(await connection.all<{ locked: boolean }>(lock))[0]?.locked) return;
      // Summed from an index (cache_by_size): cheap, where ranking the entries reads them all.
      const [{ total }] = (await connection.all<{ total: number }>('SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS total FROM cache')) as [{ total: number }];
      if (total <= maxBytes) return;
      // Keep the most recently used entries whose sizes add up to keepBytes; drop the rest. An entry
      // larger than that goes without being counted (counted, it would push out every older one).
      // +size: ranking reads every row anyway; through the size index it would look each one up.
      await connection.run(
        `DELETE FROM cache WHERE size > ? OR key IN (
           SELECT key FROM (SELECT key, SUM(size) OVER (ORDER BY last_hit_at DESC, created_at DESC, key) AS running FROM cache WHERE +size <= ?) ranked
           WHERE running > ?)`,
        [keepBytes, keepBytes, keepBytes],
      );
    });
  }

  async cacheStats(): Promise<CacheKindStats[]> {
    return this.database.all<CacheKindStats>(
      `SELECT kind, CAST(COUNT(*) AS BIGINT) AS entries, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes, CAST(COALESCE(SUM(hit_count), 0) AS BIGINT) AS hits
       FROM cache GROUP BY kind ORDER BY kind`,
    );
  }

  async *cacheEntries(): AsyncIterable<CacheEntry> {
    // Keyset pages, so a large cache is never read into memory at once.
    let after = '';
    for (;;) {
      const rows = await this.database.all<CacheRow>(`SELECT * FROM cache WHERE key > ? ORDER BY key LIMIT 200`, [after]);
      if (rows.length === 0) return;
      for (const row of rows) yield toCacheEntry(row);
      after = rows.at(-1)!.key;
    }
  }

  async importSession(session: SessionSummary, messages: StoredMessage[]): Promise<number> {
    const { lockRows } = this.database.dialect;
    const created = session.createdAt.getTime();
    const updated = session.updatedAt.getTime();
    return this.database.transaction(async (connection) => {
      await connection.run(
        `INSERT INTO sessions (id, created_at, updated_at, preview, owner, system, model, temperature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        [session.id, created, updated, session.preview, session.owner ?? null, session.system ?? null, session.model ?? null, session.temperature ?? null],
      );
      // Locked for update, so two copies at once cannot both add a message.
      await connection.all(lockRows('SELECT 1 FROM sessions WHERE id = ?', 'update'), [session.id]);
      let added = 0;
      for (const message of messages) {
        const at = message.createdAt.getTime();
        const same = await connection.all('SELECT 1 FROM messages WHERE session_id = ? AND created_at = ? AND role = ? AND content = ? LIMIT 1', [session.id, at, message.role, message.content]);
        if (same.length > 0) continue;
        const search = this.database.dialect.searchColumns(message.content);
        await connection.run(
          `INSERT INTO messages (session_id, role, content, status, model, prompt_tokens, completion_tokens, cached, created_at${search.columns})
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?${search.placeholders})`,
          [session.id, message.role, message.content, message.status, message.model ?? null, message.usage?.promptTokens ?? null, message.usage?.completionTokens ?? null, message.cached, at, ...search.values],
        );
        added += 1;
      }
      await connection.run(
        `UPDATE sessions SET message_count = (SELECT COUNT(*) FROM messages WHERE session_id = ?),
           created_at = CASE WHEN created_at < ? THEN created_at ELSE ? END, updated_at = CASE WHEN updated_at > ? THEN updated_at ELSE ? END,
           preview = CASE WHEN preview = '' THEN ? ELSE preview END
         WHERE id = ?`,
        [session.id, created, created, updated, updated, session.preview, session.id],
      );
      return added;
    });
  }

  async importCacheEntry(entry: CacheEntry): Promise<boolean> {
    const added = await this.database.run(
      `INSERT INTO cache (${CACHE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
      [entry.key, entry.kind, entry.model, ...cacheValues(entry), entry.size, entry.createdAt.getTime(), entry.lastHitAt.getTime(), entry.hitCount],
    );
    return added > 0;
  }

  async tokensForCopy(): Promise<TokenForCopy[]> {
    const rows = await this.database.all<TokenRow & { hash: string }>(`SELECT ${tokenColumns}, hash FROM tokens ORDER BY created_at, name`);
    return rows.map((row) => ({ ...toToken(row), hash: row.hash }));
  }

  async importToken(token: TokenForCopy): Promise<'added' | 'already-there' | 'name-taken'> {
    const revokedAt = token.revokedAt?.getTime() ?? null;
    const lastUsedAt = token.lastUsedAt?.getTime() ?? null;
    const merged = await this.database.run(
      `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?),
         last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN COALESCE(?, last_used_at) ELSE last_used_at END
       WHERE id = ? AND hash = ?`,
      [revokedAt, lastUsedAt, lastUsedAt, token.id, token.hash],
    );
    if (merged > 0) return 'already-there';
    const added = await this.database.run(
      `INSERT INTO tokens (id, name, hash, created_at, last_used_at, revoked_at, requests_per_minute, tokens_per_day)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [token.id, token.name, token.hash, token.createdAt.getTime(), lastUsedAt, revokedAt, token.requestsPerMinute ?? null, token.tokensPerDay ?? null],
    );
    return added > 0 ? 'added' : 'name-taken';
  }

  async cacheClear(): Promise<{ entries: number; bytes: number }> {
    const gone = await this.database.all<{ size: number }>('DELETE FROM cache RETURNING size');
    await this.database.forgetDeleted();
    return { entries: gone.length, bytes: gone.reduce((total, row) => total + row.size, 0) };
  }

  async createToken(token: NewToken): Promise<TokenRecord> {
    const [row] = await this.database.all<TokenRow>(
      `INSERT INTO tokens (id, name, hash, created_at, requests_per_minute, tokens_per_day) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO NOTHING RETURNING ${tokenColumns}`,
      [randomUUID(), token.name, token.hash, this.now(), token.requestsPerMinute ?? null, token.tokensPerDay ?? null],
    );
    // Names stay taken after a revoke, so the request log's rows keep naming one person.
    if (row === undefined) throw new AssistantError(`A token named "${token.name}" exists already (see assistant token list). Choose another name.`);
    return toToken(row);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.database.all<TokenRow>(`SELECT ${tokenColumns} FROM tokens ORDER BY created_at, name`)).map(toToken);
  }

  async revokeToken(name: string): Promise<boolean> {
    return (await this.database.run('UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE name = ?', [this.now(), name])) > 0;
  }

  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.database.all<TokenRow>(`SELECT ${tokenColumns} FROM tokens WHERE hash = ?`, [hash]);
    return row && toToken(row);
  }

  async touchToken(id: string, at: number): Promise<void> {
    // Replicas touch in any order: the latest use wins.
    const time = Math.round(at);
    await this.database.bookkeeping.run('UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [time, id, time]);
  }

  async countRequest(tokenId: string, windowStart: number, limit: number): Promise<boolean> {
    // One statement: the row is locked by the upsert (PostgreSQL) or the write lock (SQLite), so
    // concurrent callers on any replica see each other's counts; a full window returns no row.
    const counted = await this.database.all<{ used: number }>(
      `INSERT INTO token_usage (token_id, kind, window_start, used) VALUES (?, 'minute', ?, 1)
       ON CONFLICT (token_id, kind, window_start) DO UPDATE SET used = token_usage.used + 1 WHERE token_usage.used < ?
       RETURNING used`,
      [tokenId, windowStart, limit],
    );
    if (counted[0] !== undefined && Number(counted[0].used) === 1) {
      // The first request of a new minute: the token's older minutes are never read again.
      await this.database.run("DELETE FROM token_usage WHERE token_id = ? AND kind = 'minute' AND window_start < ?", [tokenId, windowStart]);
    }
    return counted.length > 0;
  }

  async addTokens(tokenId: string, dayStart: number, tokens: number): Promise<void> {
    await this.database.bookkeeping.run(
      `INSERT INTO token_usage (token_id, kind, window_start, used) VALUES (?, 'day', ?, ?)
       ON CONFLICT (token_id, kind, window_start) DO UPDATE SET used = token_usage.used + excluded.used`,
      [tokenId, dayStart, Math.round(tokens)],
    );
  }

  async tokensUsed(tokenId: string, dayStart: number): Promise<number> {
    const [row] = await this.database.all<{ used: number | string }>("SELECT used FROM token_usage WHERE token_id = ? AND kind = 'day' AND window_start = ?", [tokenId, dayStart]);
    return row === undefined ? 0 : Number(row.used);
  }

  async close(): Promise<void> {
    await this.database.close();
  }
}

/**
 * The session's row for one more message, in one statement: created with the message's owner
 * and settings, or brought up to date (last activity, count, the first question as preview, the
 * settings given with a question).
 */
function sessionUpsert(message: NewMessage, createdAt: number): { sql: string; values: unknown[] } {
  const settings = sessionSettingsColumns(message.session ?? {});
  return {
    sql: `INSERT INTO sessions (id, created_at, updated_at, owner, message_count, preview${settings.columns.map((column) => `, ${column}`).join('')})
          VALUES (?, ?, ?, ?, 1, ?${settings.columns.map(() => ', ?').join('')})
          ON CONFLICT (id) DO UPDATE SET updated_at = CASE WHEN sessions.updated_at > excluded.updated_at THEN sessions.updated_at ELSE excluded.updated_at END,
            message_count = sessions.message_count + 1, preview = CASE WHEN sessions.preview = '' THEN excluded.preview ELSE sessions.preview END${settings.columns.map((column) => `, ${column} = excluded.${column}`).join('')}`,
    values: [message.sessionId, createdAt, createdAt, message.session?.owner ?? null, previewFor(message), ...settings.values],
  };
}

/** What a message gives its session as preview when the session has none: a question's start. */
function previewFor(message: NewMessage): string {
  return message.role === 'user' ? previewOf(message.content) : '';
}

/** value_text, value_blob, metadata and session_id of a cache row. */
function cacheValues(entry: NewCacheEntry): unknown[] {
  return [entry.text ?? null, entry.blob ? Buffer.from(entry.blob) : null, entry.metadata ? JSON.stringify(entry.metadata) : null, entry.sessionId ?? null];
}

/** `column = ?` conditions joined by AND; those whose value is undefined are left out. */
function conditions(parts: Array<[sql: string, value: unknown]>): { sql: string; parameters: unknown[] } {
  const given = parts.filter(([, value]) => value !== undefined);
  return { sql: given.map(([sql]) => sql).join(' AND '), parameters: given.map(([, value]) => value) };
}
