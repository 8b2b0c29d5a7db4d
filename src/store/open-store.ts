/**
 * Chooses the store from DATABASE_URL: a plain path or a sqlite:/file: URL is SQLite.
 * postgres:// or postgresql:// is PostgreSQL. Only the chosen implementation is loaded.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssistantError } from '../errors.js';
import type { Store } from './store.js';

export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export function parseStoreLocation(databaseUrl: string, cwd: string): StoreLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url: databaseUrl };
  if (scheme === 'file') {
    try {
      return { kind: 'sqlite', path: fileURLToPath(databaseUrl) };
    } catch {
      return { kind: 'sqlite', path: resolve(cwd, databaseUrl.slice('file:'.length)) };
    }
  }
  if (scheme === 'sqlite') {
    // sqlite:relative.db, sqlite:/absolute.db, sqlite:///absolute.db, sqlite://relative.db
    const rest = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '').replace(/^\/\//, '');
    if (rest === '' || rest === ':memory:') throw new AssistantError('DATABASE_URL must name a SQLite file, e.g. sqlite:///home/me/assistant.db.');
    return { kind: 'sqlite', path: isAbsolute(rest) ? rest : resolve(cwd, rest) };
  }
  // A Windows drive letter ("C:\...") is a path, not a scheme.
  if (scheme !== undefined && scheme.length > 1) {
    throw new AssistantError(`DATABASE_URL has an unsupported scheme "${scheme}:"; use a file path, a sqlite: URL or a postgres:// URL.`);
  }
  return { kind: 'sqlite', path: resolve(cwd, databaseUrl) };
}

export async function openStore(location: StoreLocation, options: { now?: () => number } = {}): Promise<Store> {
  if (location.kind === 'postgres') {
    // pg is loaded only here, so SQLite users never pay for it.
    const { PostgresStore } = await import('./postgres-store.js');
    return PostgresStore.open(location.url, options);
  }
  const { SqliteStore } = await import('./sqlite-store.js');
  return new SqliteStore(location.path, options);
}
