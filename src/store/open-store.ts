/**
 * Chooses the store from DATABASE_URL: a plain path or a sqlite:/file: URL is SQLite.
 * postgres:// or postgresql:// is PostgreSQL. Both are served by SqlStore; only the chosen dialect is loaded.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssistantError } from '../errors.js';
import { redactUrlPassword, urlPasswords } from '../secrets.js';
import type { SqlDatabase } from './sql-database.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** The sslmode values of libpq, plus pg's own no-verify. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/**
 * @param origin what to call the value in errors: DATABASE_URL, or a flag such as --from.
 */
export function parseStoreLocation(databaseUrl: string, cwd: string, origin = 'DATABASE_URL'): StoreLocation {
  if (databaseUrl.trim() === '') throw new AssistantError(`${origin} is empty; name a SQLite file or a postgres:// URL.`);
  // SQLite's in-memory database would forget the history as soon as the command ends.
  if (/^(?:(?:sqlite|file):(?:\/\/)?)?:memory:/i.test(databaseUrl)) {
    throw new AssistantError(`${origin} names an in-memory database (:memory:), which would forget everything when the command ends; name a file instead.`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url: checkedPostgresUrl(databaseUrl, origin) };
  if (scheme === 'file') {
    try {
      return { kind: 'sqlite', path: fileURLToPath(databaseUrl) };
    } catch {
      return { kind: 'sqlite', path: resolve(cwd, decoded(databaseUrl.slice('file:'.length), origin)) };
    }
  }
  if (scheme === 'sqlite') {
    // sqlite:relative.db, sqlite:/absolute.db, sqlite:///absolute.db, sqlite://relative.db; %20 and the like are decoded.
    const rest = decoded(databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '').replace(/^\/\//, ''), origin);
    if (rest === '') throw new AssistantError(`${origin} must name a SQLite file, e.g. sqlite:///home/me/assistant.db.`);
    return { kind: 'sqlite', path: isAbsolute(rest) ? rest : resolve(cwd, rest) };
  }
  // A Windows drive letter ("C:\...") is a path, not a scheme.
  if (scheme !== undefined && scheme.length > 1) {
    throw new AssistantError(`${origin} has an unsupported scheme "${scheme}:"; use a file path, a sqlite: URL or a postgres:// URL.`);
  }
  return { kind: 'sqlite', path: resolve(cwd, databaseUrl) };
}

function decoded(text: string, origin: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AssistantError(`${origin} has a malformed %-escape in its path; write % as %25.`);
  }
}

/**
 * A URL pg would misread is refused here, naming the variable and never the password: an
 * unencoded # / ? @ in a password turns the rest into a port, a path or a fragment.
 */
function checkedPostgresUrl(url: string, origin: string): string {
  const malformed = (): AssistantError => {
    const hint = url.includes('@') ? 'the password may need percent-encoding: # / ? @ :' : 'check the host and port';
    return new AssistantError(`${origin} is not a valid PostgreSQL URL (${hint}): ${redactUrlPassword(url)}`);
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw malformed();
  }
  const written = urlPasswords(url).at(-1) ?? '';
  let understood = parsed.password;
  try {
    understood = decodeURIComponent(parsed.password);
  } catch {
    // Compared as it is.
  }
  if (parsed.hash !== '' || understood !== written) throw malformed();
  const sslMode = parsed.searchParams.get('sslmode');
  if (sslMode !== null && !SSL_MODES.includes(sslMode)) {
    throw new AssistantError(`${origin} has sslmode=${sslMode}; use one of ${SSL_MODES.join(', ')}.`);
  }
  return url;
}

export interface OpenStoreOptions {
  now?: () => number;
  /** Create a missing directory for a SQLite file: true only for the default data directory. */
  createDirectory?: boolean;
}

export async function openStore(location: StoreLocation, options: OpenStoreOptions = {}): Promise<Store> {
  return SqlStore.open(await openDatabase(location, options), options.now);
}

/** The database behind a location. Only the chosen dialect is loaded: SQLite users never pay for pg. */
async function openDatabase(location: StoreLocation, options: Pick<OpenStoreOptions, 'createDirectory'> = {}): Promise<SqlDatabase> {
  if (location.kind === 'postgres') {
    const { openPostgresDatabase } = await import('./dialects/postgres.js');
    return openPostgresDatabase(location.url);
  }
  const { openSqliteDatabase } = await import('./dialects/sqlite.js');
  return openSqliteDatabase(location.path, options.createDirectory === undefined ? {} : { createDirectory: options.createDirectory });
}
