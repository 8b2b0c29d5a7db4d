/**
 * A PostgreSQL server for tests: ASSISTANT_TEST_POSTGRES_URL names a role that may create
 * databases (test/support/postgres-setup.sh makes one). Each test gets its own database.
 * Without the variable the PostgreSQL tests are skipped with a message saying how to enable them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.ASSISTANT_TEST_POSTGRES_URL;
export const POSTGRES_HINT =
  'set ASSISTANT_TEST_POSTGRES_URL (eval "export $(bash test/support/postgres-setup.sh)" starts a local server and prints it); CI does';

if (!POSTGRES_URL) {
  if (process.env.ASSISTANT_REQUIRE_POSTGRES) throw new Error(`the PostgreSQL tests cannot run: ${POSTGRES_HINT}`);
}

export function warnSkipped(suite: string): void {
  if (!POSTGRES_URL) console.warn(`\n[${suite}] SKIPPED the PostgreSQL tests: ${POSTGRES_HINT}\n`);
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database; returns its URL. */
export async function createTestDatabase(): Promise<string> {
  const name = `assistant_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  for (let attempt = 1; ; attempt += 1) {
    try {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      return;
    } catch (error) {
      // A backend that is still going away (a CLI process that just exited, autovacuum) can block it briefly.
      if (attempt >= 5) {
        console.warn(`could not drop the test database ${name}: ${(error as Error).message}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** Runs one query against a test database. */
export async function queryDatabase<T = Record<string, unknown>>(url: string, sql: string, parameters: unknown[] = []): Promise<T[]> {
  // BIGINT and NUMERIC as numbers, as SQLite gives them.
  const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 || oid === 1700 ? Number : pg.types.getTypeParser(oid, format as 'text')) };
  const client = new pg.Client({ connectionString: url, types: types as never });
  await client.connect();
  try {
    return (await client.query(sql, parameters)).rows as T[];
  } finally {
    await client.end();
  }
}
