/** A token reaches only its own sessions: another token's, like a missing one, is "not found" (never "forbidden", which would confirm it exists). */
import type { SessionStore } from '../store/store.js';
import { ownerOf, type Principal } from './auth.js';
import { HttpError } from './http-errors.js';

export async function sessionOf(store: Pick<SessionStore, 'getSession'>, principal: Principal, id: string): Promise<string> {
  const session = await store.getSession(id);
  if (!session || session.owner !== ownerOf(principal)) throw new HttpError(404, `No session "${id}".`, 'not_found', 'session');
  return id;
}
