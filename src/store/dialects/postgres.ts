/**
 * PostgreSQL, the shared store, through a small pg pool. Loaded only when DATABASE_URL names
 * PostgreSQL, so SQLite users never pay for pg. Full-text search uses a tsvector column (the
 * application folds diacritics away first) with a GIN index; cached audio goes in bytea.
 */
import pg from 'pg';
import { AssistantError } from '../../errors.js';
import { redactUrlPassword } from '../../secrets.js';
import { searchScope, storable, type Dialect, type SqlConnection, type SqlDatabase } from '../sql-database.js';
import { SNIPPET_MARK_END, SNIPPET_MARK_START } from '../store.js';
import { foldForSearch, plainTextSearchQuery } from '../text-search.js';

/** Any constant shared by every assistant process: the advisory lock's key ("asst"). */
const MIGRATION_LOCK = 0x61737374;
/** The cache eviction's advisory lock ("asev"). */
const EVICTION_LOCK = 0x61736576;

export const postgresDialect: Dialect = {
  name: 'postgres',
  types: { serialKey: 'BIGSERIAL PRIMARY KEY', bigint: 'BIGINT', boolean: 'BOOLEAN', false: 'FALSE', real: 'DOUBLE PRECISION', blob: 'BYTEA', json: 'JSONB' },
  // Transactions run side by side here: those that must not lose a race lock the rows they read.
  insertsInWith: true,
  lockRows: (select, mode) => `${select} FOR ${mode === 'share' ? 'SHARE' : 'UPDATE'}`,
  // The schema CREATE TABLE writes to: the first of the search_path.
  tableExists: 'SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?',
  columnExists: 'SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?',
  migrationLock: `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`,
  evictionLock: `SELECT pg_try_advisory_xact_lock(${EVICTION_LOCK}) AS locked`,
  leftUntouched: 'the database was left untouched',
  searchColumns: (content) => ({ columns: ', search', placeholders: ", to_tsvector('simple', ?)", values: [foldForSearch(content)] }),
  searchQuery(query, limit, scope) {
    if (plainTextSearchQuery(query) === undefined) return undefined;
    const mine = searchScope(scope);
    return {
      sql: `SELECT m.id, m.session_id, m.role, m.created_at, ts_headline('simple', m.content, q, ?) AS snippet
            FROM messages m, plainto_tsquery('simple', ?) AS q
            WHERE m.search @@ q${mine.clause} ORDER BY m.id DESC LIMIT ?`,
      parameters: [
        `StartSel=${SNIPPET_MARK_START}, StopSel=${SNIPPET_MARK_END}, MaxWords=16, MinWords=6, ShortWord=1`, foldForSearch(query), ...mine.parameters, limit,
      ],
    };
  },
};

export interface PostgresOptions {
  /**
   * Connections in the pool. Default 10: a `serve` replica has many requests in flight, and with
   * 4 they queued for a connection (a second at p50 with 50 clients in the serve benchmark). The
   * pool connects lazily, so a CLI command opens only the one or two it uses.
   */
  poolSize?: number;
  /** Longest a statement may run, in milliseconds. Default 30000. */
  statementTimeoutMilliseconds?: number;
}

/** Runs statements on the pool (any connection) or on one client (a transaction). */
class Statements implements SqlConnection {
  constructor(
    private readonly client: pg.Pool | pg.PoolClient,
    private readonly where: string,
  ) {}

  async all<Row>(sql: string, parameters: readonly unknown[] = []): Promise<Row[]> {
    return (await this.query(numbered(sql), parameters)).rows as Row[];
  }

  async run(sql: string, parameters: readonly unknown[] = []): Promise<number> {
    return (await this.query(numbered(sql), parameters)).rowCount ?? 0;
  }

  async exec(script: string): Promise<void> {
    // Without parameters pg sends the simple query, which may hold several statements.
    await this.query(script, []);
  }

  private async query(sql: string, parameters: readonly unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.client.query(sql, storable(parameters));
    } catch (error) {
      throw translatePostgresError(error, this.where);
    }
  }
}

class PostgresDatabase extends Statements implements SqlDatabase {
  readonly dialect = postgresDialect;
  readonly description: string;
  readonly bookkeeping: SqlConnection;

  constructor(
    private readonly pool: pg.Pool,
    private readonly bookkeepingPool: pg.Pool,
    readonly location: string,
  ) {
    super(pool, location);
    this.description = `PostgreSQL ${location}`;
    this.bookkeeping = new Statements(bookkeepingPool, location);
  }

  async transaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translatePostgresError(error, this.location);
    }
    const statements = new Statements(client, this.location);
    try {
      await statements.exec('BEGIN');
      try {
        const result = await work(statements);
        await statements.exec('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  }

  async sizeInBytes(tables: readonly string[]): Promise<number> {
    const [row] = await this.all<{ bytes: number }>('SELECT CAST(SUM(pg_total_relation_size(CAST(name AS regclass))) AS BIGINT) AS bytes FROM unnest(CAST(? AS text[])) AS name', [tables]);
    return row?.bytes ?? 0;
  }

  async forgetDeleted(): Promise<void> {
    // Deleted rows are gone from every query at once; VACUUM reclaims their space in its time.
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.bookkeepingPool.end()]);
  }
}

/** Connects lazily (the first statement connects); the schema is brought up to date by the store. */
export function openPostgresDatabase(url: string, options: PostgresOptions = {}): SqlDatabase {
  const types = {
    // BIGINT (20) as a number: our values (times in ms, ids, sizes) stay far below 2^53.
    getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')),
  };
  const settings = {
    connectionString: url,
    statement_timeout: options.statementTimeoutMilliseconds ?? 30_000,
    application_name: new URL(url).searchParams.get('application_name') ?? 'assistant',
    connectionTimeoutMillis: 10_000,
    types: types as never,
  };
  const pool = new pg.Pool({ ...settings, max: options.poolSize ?? 10 });
  // Bookkeeping (SqlDatabase.bookkeeping) on connections that do not wait for the disk at commit.
  const bookkeepingPool = new pg.Pool({ ...settings, max: 4, options: '-c synchronous_commit=off' });
  for (const each of [pool, bookkeepingPool]) each.on('error', () => {}); // an idle client dropped by the server: the next query reconnects
  return new PostgresDatabase(pool, bookkeepingPool, describeTarget(url));
}

const numberedCache = new Map<string, string>();
/** pg numbers its parameters ($1, $2...) where the store writes `?`; the store's SQL has no `?` inside literals. */
function numbered(sql: string): string {
  let result = numberedCache.get(sql);
  if (result === undefined) {
    let index = 0;
    result = sql.replace(/\?/g, () => `$${(index += 1)}`);
    numberedCache.set(sql, result);
  }
  return result;
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

function translatePostgresError(error: unknown, where: string): Error {
  if (error instanceof AssistantError) return error;
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
