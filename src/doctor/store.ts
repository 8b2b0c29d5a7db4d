/**
 * The store check: it opens (and so is migrated, as every command does), which schema it is
 * at, and how big it is. PostgreSQL is described without its password.
 */
import { errorMessage } from '../errors.js';
import { migrations } from '../store/migrations.js';
import type { Store } from '../store/store.js';
import { ok, problem, type CheckResult } from './check.js';

/** Not abortable: opening a store cannot be asked to stop, but each dialect bounds its own connection (PostgreSQL: 10 s). */
export async function checkStore(openStore: () => Promise<Store>): Promise<CheckResult> {
  let store: Store;
  try {
    store = await openStore();
  } catch (error) {
    return problem('store', `cannot open the store: ${errorMessage(error)}`, 'check DATABASE_URL (a SQLite file in an existing, writable directory, or a reachable postgres:// URL)');
  }
  const { bytes } = await store.size();
  // Opening brings the schema up to date (or refuses a newer one), so it is now at the latest step.
  const schema = migrations.at(-1)?.version ?? 0;
  return ok('store', `${store.description}, schema ${schema}, ${megabytes(bytes)}`);
}

function megabytes(bytes: number): string {
  return bytes < 1_000_000 ? `${(bytes / 1000).toFixed(0)} kB` : `${(bytes / 1_000_000).toFixed(1)} MB`;
}

