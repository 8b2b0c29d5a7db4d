/**
 * What the one Store implementation (sql-store.ts) needs from a database: statements with `?`
 * parameters, transactions, and the few pieces of SQL that differ between SQLite and
 * PostgreSQL. Each dialect file (dialects/sqlite.ts, dialects/postgres.ts) implements it
 * whole, so every difference between the two lives in one of those two files.
 */

/** Runs statements. Parameters are written `?` in every dialect; values are numbers, strings, Buffers or null. */
export interface SqlConnection {
  /** The rows a statement returns (a SELECT, or a write with RETURNING); column names as in the schema. */
  all<Row = Record<string, unknown>>(sql: string, parameters?: readonly unknown[]): Promise<Row[]>;
  /** Runs a write; returns how many rows it changed. */
  run(sql: string, parameters?: readonly unknown[]): Promise<number>;
  /** Runs a script of several statements without parameters (the migrations). */
  exec(script: string): Promise<void>;
}

export interface SqlDatabase extends SqlConnection {
  readonly dialect: Dialect;
  /** Where the data lives, for messages to a person (never holds a password): "SQLite /path" or "PostgreSQL host:port/database". */
  readonly description: string;
  /** The same without the kind: the file's path, or host:port/database. */
  readonly location: string;
  /**
   * Runs `work` as one transaction that holds the write lock from its start (SQLite: BEGIN
   * IMMEDIATE; PostgreSQL: one pooled connection, row locks through Dialect.lockRows),
   * committed when it resolves and rolled back when it throws.
   */
  transaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T>;
  /**
   * For bookkeeping whose loss in a crash of the database server itself costs nothing a person
   * wrote (the request log, turn timings, a token's charges and last use): PostgreSQL commits it
   * without waiting for the disk (synchronous_commit off, on connections of its own), visible to
   * every process at once all the same; SQLite runs it like any statement.
   */
  readonly bookkeeping: SqlConnection;
  /** Bytes on disk of these tables with their indexes (SQLite: the whole file and its WAL). */
  sizeInBytes(tables: readonly string[]): Promise<number>;
  /** After content was deleted: SQLite copies its WAL back into the file so the deleted text does not linger there. */
  forgetDeleted(): Promise<void>;
  close(): Promise<void>;
}

/** Column types of the schema, named by what they hold. */
export interface ColumnTypes {
  /** An auto-numbered integer primary key. */
  serialKey: string;
  /** A 64-bit integer: times in ms since the epoch, sizes, ids referring to a serial key. */
  bigint: string;
  boolean: string;
  /** The literal for false, as a column default. */
  false: string;
  real: string;
  blob: string;
  /** A JSON object. */
  json: string;
}

/** The SQL that is not the same in both dialects. */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  readonly types: ColumnTypes;
  /** One parameter: a table name; returns a row when that table exists. */
  readonly tableExists: string;
  /** Two parameters: a table and a column name; returns a row when that column exists. */
  readonly columnExists: string;
  /** Taken first in the migration transaction, so processes that start at once migrate one after another (none where the transaction already does that). */
  readonly migrationLock?: string;
  /**
   * Taken first in a cache eviction's transaction; one row, `locked` false when another process
   * is evicting (it is left to that one). None where the transaction already runs alone.
   */
  readonly evictionLock?: string;
  /** Said when a database written by a newer version is refused. */
  readonly leftUntouched: string;
  /**
   * A SELECT inside a transaction, made to lock the rows it reads against a concurrent delete
   * (share) or write (update); unchanged where the transaction already locks everything.
   */
  lockRows(select: string, mode: 'share' | 'update'): string;
  /** A WITH clause may hold an INSERT (PostgreSQL): a question and its session's row go in one statement, one round trip. */
  readonly insertsInWith: boolean;
  /** Extra columns of a new message for full-text search, and their values for its content (SQLite indexes by trigger: none). */
  searchColumns(content: string): { columns: string; placeholders: string; values: unknown[] };
  /**
   * A full-text search for the words of plain `query` (undefined when it has none), newest
   * first; rows carry id, session_id, role, created_at and a snippet with the matched words
   * between SNIPPET_MARK_START/END; narrowed by `scope` (searchScope).
   */
  searchQuery(query: string, limit: number, scope: SearchScope): { sql: string; parameters: unknown[] } | undefined;
}

/** Where a search looks: only the sessions of `owner`, only the session `session`, or both. */
export interface SearchScope {
  owner?: string | undefined;
  session?: string | undefined;
}

/** The conditions (on messages aliased `m`) and their parameters that narrow a search to its scope. */
export function searchScope({ owner, session }: SearchScope): { clause: string; parameters: string[] } {
  let clause = '';
  const parameters: string[] = [];
  if (owner !== undefined) {
    clause += ' AND m.session_id IN (SELECT id FROM sessions WHERE owner = ?)';
    parameters.push(owner);
  }
  if (session !== undefined) {
    clause += ' AND m.session_id = ?';
    parameters.push(session);
  }
  return { clause, parameters };
}

/**
 * Parameters as both stores can hold them: a NUL in text (a model or a transcription server
 * may send one) becomes U+FFFD. A PostgreSQL text column refuses NUL, which would lose the
 * answer with an error; doing the same on SQLite keeps what the two stores read back alike.
 */
export function storable(parameters: readonly unknown[]): unknown[] {
  return parameters.map((value) => (typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value));
}
