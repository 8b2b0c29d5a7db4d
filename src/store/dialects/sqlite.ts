/**
 * SQLite, the embedded default: one file through better-sqlite3, WAL mode so readers never
 * wait for writers, a busy timeout and IMMEDIATE write transactions so several `assistant`
 * processes can append at once without "database is locked". Full-text search is an FTS5
 * table kept by triggers (see migrations.ts).
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AssistantError } from '../../errors.js';
import { searchScope, storable, type Dialect, type SqlConnection, type SqlDatabase } from '../sql-database.js';
import { SNIPPET_MARK_END, SNIPPET_MARK_START } from '../store.js';
import { plainTextSearchQuery } from '../text-search.js';

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  types: { serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT', bigint: 'INTEGER', boolean: 'INTEGER', false: '0', real: 'REAL', blob: 'BLOB', json: 'TEXT' },
  tableExists: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
  columnExists: 'SELECT 1 FROM pragma_table_info(?) WHERE name = ?',
  leftUntouched: 'the file was left untouched',
  // BEGIN IMMEDIATE already holds the one write lock of the file (and so serializes migrations too).
  insertsInWith: false,
  lockRows: (select) => select,
  // The FTS5 index is kept by triggers on messages.
  searchColumns: () => ({ columns: '', placeholders: '', values: [] }),
  searchQuery(query, limit, scope) {
    const match = plainTextSearchQuery(query);
    if (match === undefined) return undefined;
    const mine = searchScope(scope);
    return {
      sql: `SELECT m.id, m.session_id, m.role, m.created_at, snippet(messages_search, 0, ?, ?, '…', 16) AS snippet
            FROM messages_search JOIN messages m ON m.id = messages_search.rowid
            WHERE messages_search MATCH ?${mine.clause} ORDER BY messages_search.rowid DESC LIMIT ?`,
      parameters: [SNIPPET_MARK_START, SNIPPET_MARK_END, match, ...mine.parameters, limit],
    };
  },
};

export interface SqliteOptions {
  /** How long a writer waits for another process's lock, in milliseconds. Default 15000. */
  busyTimeoutMilliseconds?: number;
  /** Create the file's directory when missing: only for the default data directory, so a mistyped path is an error. Default false. */
  createDirectory?: boolean;
}

/**
 * better-sqlite3 runs every statement on this one thread, so queueing all of them costs no
 * parallelism. It keeps a transaction that awaits between its statements from interleaving
 * with another connection's write in this process: that write would wait for SQLite's lock
 * inside the busy handler, blocking the very thread that must release it.
 */
let queue: Promise<unknown> = Promise.resolve();
function serially<T>(work: () => T | Promise<T>): Promise<T> {
  const result = queue.then(work);
  queue = result.catch(() => undefined);
  return result;
}

/** Statements run as they come: inside a transaction, or by SqliteDatabase in its turn. */
class Statements implements SqlConnection {
  private readonly prepared = new Map<string, Database.Statement>();

  constructor(private readonly database: Database.Database, private readonly path: string) {}

  async all<Row>(sql: string, parameters: readonly unknown[] = []): Promise<Row[]> {
    return this.translated(() => {
      const statement = this.statement(sql);
      if (!statement.reader) {
        statement.run(...bound(parameters));
        return [];
      }
      return statement.all(...bound(parameters)) as Row[];
    });
  }

  async run(sql: string, parameters: readonly unknown[] = []): Promise<number> {
    return this.translated(() => this.statement(sql).run(...bound(parameters)).changes);
  }

  async exec(script: string): Promise<void> {
    this.translated(() => this.database.exec(script));
  }

  translated<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  private statement(sql: string): Database.Statement {
    let statement = this.prepared.get(sql);
    if (statement === undefined) {
      statement = this.database.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }
}

class SqliteDatabase implements SqlDatabase {
  readonly dialect = sqliteDialect;
  readonly description: string;
  readonly bookkeeping: SqlConnection = this;
  private readonly statements: Statements;

  constructor(private readonly database: Database.Database, readonly location: string) {
    this.description = `SQLite ${location}`;
    this.statements = new Statements(database, location);
  }

  all<Row>(sql: string, parameters?: readonly unknown[]): Promise<Row[]> {
    return serially(() => this.statements.all<Row>(sql, parameters));
  }

  run(sql: string, parameters?: readonly unknown[]): Promise<number> {
    return serially(() => this.statements.run(sql, parameters));
  }

  exec(script: string): Promise<void> {
    return serially(() => this.statements.exec(script));
  }

  transaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    return serially(async () => {
      await this.statements.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.statements);
        await this.statements.exec('COMMIT');
        return result;
      } catch (error) {
        // SQLite has already rolled back after some errors (a full disk, say).
        if (this.database.inTransaction) this.database.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async sizeInBytes(): Promise<number> {
    const fileSize = (path: string): number => (existsSync(path) ? statSync(path).size : 0);
    return fileSize(this.location) + fileSize(`${this.location}-wal`);
  }

  forgetDeleted(): Promise<void> {
    return serially(() => void this.statements.translated(() => this.database.pragma('wal_checkpoint(TRUNCATE)')));
  }

  close(): Promise<void> {
    return serially(() => {
      if (this.database.open) this.database.close();
    });
  }
}

/** Opens (creating when missing) the SQLite file at `path`; the schema is brought up to date by the store. */
export function openSqliteDatabase(path: string, options: SqliteOptions = {}): SqlDatabase {
  prepareFile(path, options.createDirectory === true);
  try {
    const database = new Database(path);
    database.pragma(`busy_timeout = ${options.busyTimeoutMilliseconds ?? 15_000}`);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // Deleted history and cache entries are overwritten, not just unlinked from the b-tree.
    database.pragma('secure_delete = ON');
    return new SqliteDatabase(database, path);
  } catch (error) {
    throw translateSqliteError(error, path);
  }
}

/** SQLite has no boolean: true and false are stored as 1 and 0. */
function bound(parameters: readonly unknown[]): unknown[] {
  return storable(parameters).map((value) => (typeof value === 'boolean' ? Number(value) : value));
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
  if (code.startsWith('SQLITE_BUSY')) {
    return new AssistantError(`The database ${path} stayed locked by another process for too long. Try again.`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
