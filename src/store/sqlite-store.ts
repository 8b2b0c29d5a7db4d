/**
 * The embedded default store: one SQLite file (better-sqlite3), WAL mode so readers never
 * wait for writers, a busy timeout and IMMEDIATE write transactions so several `assistant`
 * processes can append at once without "database is locked".
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AssistantError } from '../errors.js';
import { migrate } from './sqlite-migrations.js';
import { plainTextSearchQuery, previewOf } from './text-search.js';
import {
  SNIPPET_MARK_END,
  SNIPPET_MARK_START,
  type CacheEntry,
  type CacheKindStats,
  type NewCacheEntry,
  type NewMessage,
  type SearchHit,
  type SessionSummary,
  type Store,
  type StoredMessage,
  type NewTurn,
  type RequestFilter,
  type RequestRecord,
  type StoreSize,
  type StoredRequest,
  type StoredTurn,
  SessionDeletedError,
} from './store.js';
import { fromRequestRow, requestColumns, sessionSettingsUpdate, toCacheEntry, toMessage, toRequestValues, toSession, toTurn, type CacheRow, type MessageRow, type RequestRow, type SessionRow, type TurnRow } from './rows.js';
import { timeToFirstAudio } from './turn-timings.js';

export interface SqliteStoreOptions {
  /** Milliseconds since the epoch; injectable so tests control stored times. */
  now?: () => number;
  /** How long a writer waits for another process's lock, in milliseconds. Default 15000. */
  busyTimeoutMilliseconds?: number;
  /** Create the file's directory when missing: only for the default data directory, so a mistyped path is an error. Default false. */
  createDirectory?: boolean;
}

export class SqliteStore implements Store {
  readonly description: string;
  private readonly database: Database.Database;
  private readonly now: () => number;

  constructor(readonly path: string, options: SqliteStoreOptions = {}) {
    this.description = `SQLite ${path}`;
    this.now = options.now ?? Date.now;
    prepareFile(path, options.createDirectory === true);
    try {
      this.database = new Database(path);
      this.database.pragma(`busy_timeout = ${options.busyTimeoutMilliseconds ?? 15_000}`);
      this.database.pragma('journal_mode = WAL');
      this.database.pragma('synchronous = NORMAL');
      this.database.pragma('foreign_keys = ON');
      // Deleted history and cache entries are overwritten, not just unlinked from the b-tree.
      this.database.pragma('secure_delete = ON');
      migrate(this.database, undefined, this.now);
    } catch (error) {
      throw translateSqliteError(error, path);
    }
  }

  async appendMessage(message: NewMessage): Promise<StoredMessage> {
    const createdAt = this.now();
    const append = this.database.transaction(() => {
      if (message.replyTo !== undefined && !this.database.prepare('SELECT 1 FROM messages WHERE id = ? AND session_id = ?').get(message.replyTo, message.sessionId)) {
        throw new SessionDeletedError(message.sessionId);
      }
      this.database
        .prepare('INSERT INTO sessions (id, created_at, updated_at, owner) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING')
        .run(message.sessionId, createdAt, createdAt, message.session?.owner ?? null);
      const settings = sessionSettingsUpdate(message.session ?? {}, () => '?');
      if (settings.assignments.length > 0) {
        this.database.prepare(`UPDATE sessions SET ${settings.assignments.join(', ')} WHERE id = ?`).run(...settings.values, message.sessionId);
      }
      const { id } = this.database
        .prepare(
          `INSERT INTO messages (session_id, role, content, status, model, prompt_tokens, completion_tokens, cached, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(
          message.sessionId,
          message.role,
          message.content,
          message.status ?? 'complete',
          message.model ?? null,
          message.usage?.promptTokens ?? null,
          message.usage?.completionTokens ?? null,
          message.cached ? 1 : 0,
          createdAt,
        ) as { id: number };
      this.database
        .prepare(
          `UPDATE sessions SET updated_at = MAX(updated_at, ?), message_count = message_count + 1,
             preview = CASE WHEN preview = '' AND ? = 'user' THEN ? ELSE preview END
           WHERE id = ?`,
        )
        .run(createdAt, message.role, previewOf(message.content), message.sessionId);
      return id;
    });
    const id = this.write(() => append.immediate());
    return {
      id,
      sessionId: message.sessionId,
      role: message.role,
      content: message.content,
      status: message.status ?? 'complete',
      model: message.model,
      usage: message.usage,
      cached: message.cached ?? false,
      createdAt: new Date(createdAt),
    };
  }

  async latestSessionId(owner?: string): Promise<string | undefined> {
    const row = this.database
      .prepare('SELECT id FROM sessions WHERE (? IS NULL OR owner = ? OR owner IS NULL) ORDER BY updated_at DESC, rowid DESC LIMIT 1')
      .get(owner ?? null, owner ?? null) as { id: string } | undefined;
    return row?.id;
  }

  async getSession(id: string): Promise<SessionSummary | undefined> {
    const row = this.database.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
    return row && toSession(row);
  }

  async listSessions({ limit }: { limit: number }): Promise<SessionSummary[]> {
    const rows = this.database
      .prepare('SELECT * FROM sessions ORDER BY updated_at DESC, rowid DESC LIMIT ?')
      .all(limit) as SessionRow[];
    return rows.map(toSession);
  }

  async messages(sessionId: string): Promise<StoredMessage[]> {
    const rows = this.database
      .prepare('SELECT * FROM messages WHERE session_id = ? ORDER BY id')
      .all(sessionId) as MessageRow[];
    return rows.map(toMessage);
  }

  async search(query: string, { limit }: { limit: number }): Promise<SearchHit[]> {
    const match = plainTextSearchQuery(query);
    if (match === undefined) return [];
    const rows = this.database
      .prepare(
        `SELECT m.id, m.session_id, m.role, m.created_at,
                snippet(messages_search, 0, ?, ?, '…', 16) AS snippet
         FROM messages_search JOIN messages m ON m.id = messages_search.rowid
         WHERE messages_search MATCH ? ORDER BY messages_search.rowid DESC LIMIT ?`,
      )
      .all(SNIPPET_MARK_START, SNIPPET_MARK_END, match, limit) as Array<
      Pick<MessageRow, 'id' | 'session_id' | 'role' | 'created_at'> & { snippet: string }
    >;
    return rows.map((row) => ({
      sessionId: row.session_id,
      messageId: row.id,
      role: row.role,
      createdAt: new Date(row.created_at),
      snippet: row.snippet,
    }));
  }

  async recordTurn(turn: NewTurn): Promise<StoredTurn> {
    const createdAt = this.now();
    const t = turn.timings;
    const firstAudio = timeToFirstAudio(t);
    const { id } = this.write(() =>
      this.database
        .prepare(
          `INSERT INTO turns (session_id, user_message_id, assistant_message_id, input, status, speech_ended_at, endpoint_at,
             transcript_at, first_token_at, first_sentence_at, first_audio_at, audio_done_at, time_to_first_audio_ms, created_at,
             turn_key, cpu_ms, peak_rss_bytes)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(
          turn.sessionId, turn.userMessageId ?? null, turn.assistantMessageId ?? null, turn.input, turn.status,
          t.speechEndedAt ?? null, t.endpointAt ?? null, t.transcriptAt ?? null, t.firstTokenAt ?? null,
          t.firstSentenceAt ?? null, t.firstAudioAt ?? null, t.audioDoneAt ?? null, firstAudio ?? null, createdAt,
          turn.turnKey ?? null, turn.cpuMilliseconds === undefined ? null : Math.round(turn.cpuMilliseconds), turn.peakRssBytes ?? null,
        ),
    ) as { id: number };
    return { ...turn, id, timeToFirstAudioMilliseconds: firstAudio, createdAt: new Date(createdAt) };
  }

  async turns(sessionId: string): Promise<StoredTurn[]> {
    const rows = this.database.prepare('SELECT * FROM turns WHERE session_id = ? ORDER BY id').all(sessionId) as TurnRow[];
    return rows.map(toTurn);
  }

  async turnsMatching(filter: RequestFilter): Promise<StoredTurn[]> {
    const rows = this.database
      .prepare('SELECT * FROM turns WHERE created_at >= ? AND (? IS NULL OR session_id = ?) ORDER BY id')
      .all(filter.since ?? 0, filter.sessionId ?? null, filter.sessionId ?? null) as TurnRow[];
    return rows.map(toTurn);
  }

  async recordRequests(records: RequestRecord[]): Promise<void> {
    if (records.length === 0) return;
    const insert = this.database.prepare(
      `INSERT INTO requests (${requestColumns.join(', ')}) VALUES (${requestColumns.map(() => '?').join(', ')})`,
    );
    const append = this.database.transaction(() => {
      for (const record of records) insert.run(...toRequestValues(record).map((value) => (typeof value === 'boolean' ? Number(value) : value)));
    });
    this.write(() => append.immediate());
  }

  async requests(filter: RequestFilter): Promise<StoredRequest[]> {
    const rows = this.database
      .prepare(
        `SELECT * FROM requests WHERE at >= ? AND (? IS NULL OR session_id = ?) AND (? IS NULL OR model = ?)
           AND (? = 0 OR error_class IS NOT NULL OR status >= 400)
         ORDER BY id DESC LIMIT ?`,
      )
      .all(filter.since ?? 0, filter.sessionId ?? null, filter.sessionId ?? null, filter.model ?? null, filter.model ?? null, filter.errorsOnly ? 1 : 0, filter.limit ?? -1) as RequestRow[];
    return rows.map(fromRequestRow);
  }

  async requestTotals(since: number): Promise<{ requests: number; tokens: number }> {
    return this.database
      .prepare(// Negative counts (written by a lying server before they were validated) must not offset the limit.
        'SELECT COUNT(*) AS requests, COALESCE(SUM(MAX(COALESCE(input_tokens, 0), 0) + MAX(COALESCE(output_tokens, 0), 0)), 0) AS tokens FROM requests WHERE at >= ? AND cached = 0')
      .get(since) as { requests: number; tokens: number };
  }

  async pruneRequests(before: number): Promise<number> {
    return this.write(() => this.database.prepare('DELETE FROM requests WHERE at < ?').run(before)).changes;
  }

  async size(): Promise<StoreSize> {
    const fileSize = (path: string): number => (existsSync(path) ? statSync(path).size : 0);
    const rows: Record<string, number> = {};
    for (const table of ['sessions', 'messages', 'cache', 'turns', 'requests']) {
      rows[table] = (this.database.prepare(`SELECT COUNT(*) AS count FROM ${table}`).get() as { count: number }).count;
    }
    return { bytes: fileSize(this.path) + fileSize(`${this.path}-wal`), rows };
  }

  async deleteSession(id: string): Promise<number | undefined> {
    const remove = this.database.transaction(() => {
      const session = this.database.prepare('SELECT message_count FROM sessions WHERE id = ?').get(id) as
        | { message_count: number }
        | undefined;
      if (!session) return undefined;
      this.database.prepare('DELETE FROM sessions WHERE id = ?').run(id);
      this.database.prepare('DELETE FROM cache WHERE session_id = ?').run(id);
      return session.message_count;
    });
    const removed = this.write(() => remove.immediate());
    if (removed !== undefined) this.checkpoint();
    return removed;
  }

  async cacheGet(key: string, { ttlSeconds }: { ttlSeconds?: number | undefined }): Promise<CacheEntry | undefined> {
    const row = this.database.prepare('SELECT * FROM cache WHERE key = ?').get(key) as CacheRow | undefined;
    if (!row) return undefined;
    const now = this.now();
    if (ttlSeconds !== undefined && row.created_at < now - ttlSeconds * 1000) {
      this.write(() => this.database.prepare('DELETE FROM cache WHERE key = ?').run(key));
      return undefined;
    }
    this.write(() =>
      this.database.prepare('UPDATE cache SET last_hit_at = ?, hit_count = hit_count + 1 WHERE key = ?').run(now, key),
    );
    return toCacheEntry({ ...row, last_hit_at: now, hit_count: row.hit_count + 1 });
  }

  async cachePut(entry: NewCacheEntry, { maxBytes }: { maxBytes: number }): Promise<void> {
    const now = this.now();
    const size = entry.blob?.byteLength ?? Buffer.byteLength(entry.text ?? '');
    const put = this.database.transaction(() => {
      this.database
        .prepare(
          `INSERT OR REPLACE INTO cache (key, kind, model, value_text, value_blob, metadata, session_id, size, created_at, last_hit_at, hit_count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
        )
        .run(
          entry.key,
          entry.kind,
          entry.model,
          entry.text ?? null,
          entry.blob ? Buffer.from(entry.blob) : null,
          entry.metadata ? JSON.stringify(entry.metadata) : null,
          entry.sessionId ?? null,
          size,
          now,
          now,
        );
      // Keep the most recently used entries whose sizes add up to maxBytes; drop the rest.
      this.database
        .prepare(
          `DELETE FROM cache WHERE key IN (
             SELECT key FROM (
               SELECT key, SUM(size) OVER (ORDER BY last_hit_at DESC, created_at DESC, key) AS running FROM cache)
             WHERE running > ?)`,
        )
        .run(maxBytes);
    });
    this.write(() => put.immediate());
  }

  async cacheStats(): Promise<CacheKindStats[]> {
    return this.database
      .prepare(
        `SELECT kind, COUNT(*) AS entries, COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(hit_count), 0) AS hits
         FROM cache GROUP BY kind ORDER BY kind`,
      )
      .all() as CacheKindStats[];
  }

  async *cacheEntries(): AsyncIterable<CacheEntry> {
    for (const row of this.database.prepare('SELECT * FROM cache ORDER BY created_at, key').iterate() as Iterable<CacheRow>) yield toCacheEntry(row);
  }

  async importSession(session: SessionSummary, messages: StoredMessage[]): Promise<number> {
    const exists = this.database.prepare('SELECT 1 FROM messages WHERE session_id = ? AND created_at = ? AND role = ? AND content = ? LIMIT 1');
    const insert = this.database.prepare(
      `INSERT INTO messages (session_id, role, content, status, model, prompt_tokens, completion_tokens, cached, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const copy = this.database.transaction(() => {
      this.database
        .prepare(
          `INSERT INTO sessions (id, created_at, updated_at, preview, owner, system, model, temperature)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        )
        .run(session.id, session.createdAt.getTime(), session.updatedAt.getTime(), session.preview, session.owner ?? null, session.system ?? null, session.model ?? null, session.temperature ?? null);
      let added = 0;
      for (const message of messages) {
        const at = message.createdAt.getTime();
        if (exists.get(session.id, at, message.role, message.content)) continue;
        insert.run(session.id, message.role, message.content, message.status, message.model ?? null, message.usage?.promptTokens ?? null, message.usage?.completionTokens ?? null, message.cached ? 1 : 0, at);
        added += 1;
      }
      this.database
        .prepare(
          `UPDATE sessions SET message_count = (SELECT COUNT(*) FROM messages WHERE session_id = @id),
             created_at = MIN(created_at, @created), updated_at = MAX(updated_at, @updated), preview = CASE WHEN preview = '' THEN @preview ELSE preview END
           WHERE id = @id`,
        )
        .run({ id: session.id, created: session.createdAt.getTime(), updated: session.updatedAt.getTime(), preview: session.preview });
      return added;
    });
    return this.write(() => copy.immediate());
  }

  async importCacheEntry(entry: CacheEntry): Promise<boolean> {
    const result = this.write(() =>
      this.database
        .prepare(
          `INSERT INTO cache (key, kind, model, value_text, value_blob, metadata, session_id, size, created_at, last_hit_at, hit_count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
        )
        .run(
          entry.key, entry.kind, entry.model, entry.text ?? null, entry.blob ? Buffer.from(entry.blob) : null,
          entry.metadata ? JSON.stringify(entry.metadata) : null, entry.sessionId ?? null, entry.size,
          entry.createdAt.getTime(), entry.lastHitAt.getTime(), entry.hitCount,
        ),
    );
    return result.changes > 0;
  }

  async cacheClear(): Promise<{ entries: number; bytes: number }> {
    const clear = this.database.transaction(() => {
      const totals = this.database
        .prepare('SELECT COUNT(*) AS entries, COALESCE(SUM(size), 0) AS bytes FROM cache')
        .get() as { entries: number; bytes: number };
      this.database.prepare('DELETE FROM cache').run();
      return totals;
    });
    const totals = this.write(() => clear.immediate());
    this.checkpoint();
    return totals;
  }

  async close(): Promise<void> {
    if (this.database.open) this.database.close();
  }

  /** Copies the WAL back into the database file so deleted content does not linger in the WAL. */
  private checkpoint(): void {
    this.write(() => this.database.pragma('wal_checkpoint(TRUNCATE)'));
  }

  private write<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }
}

/**
 * Creates the file (0600) before SQLite does, so no one else can read it, and its directory
 * (0700) only when asked: a mistyped DATABASE_URL must not quietly start a new, empty history.
 */
function prepareFile(path: string, createDirectory: boolean): void {
  const directory = dirname(path);
  if (!existsSync(directory) && !createDirectory) {
    throw new AssistantError(`Cannot open the database ${path}: the directory ${directory} does not exist. Check the path (DATABASE_URL), or create the directory first.`);
  }
  try {
    if (!existsSync(directory)) mkdirSync(directory, { recursive: true, mode: 0o700 });
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  } catch (error) {
    throw new AssistantError(`Cannot create the database ${path}: ${(error as Error).message}. Check the path and its permissions, or set DATABASE_URL.`);
  }
}

function translateSqliteError(error: unknown, path: string): Error {
  if (error instanceof AssistantError) return error;
  const code = (error as { code?: string }).code ?? '';
  const detail = (error as Error).message;
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
    return new AssistantError(`Cannot write the database ${path} (${detail}). Check the permissions of the file and its directory.`, { cause: error });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new AssistantError(`${path} is not a usable assistant database (${detail}). It was left untouched: move it aside or set DATABASE_URL to another file.`, { cause: error });
  }
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    return new AssistantError(`Cannot write the database ${path} (${detail}). Is the disk full?`, { cause: error });
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY')) {
    return new AssistantError(`The database ${path} stayed locked by another process for too long. Try again.`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
