/**
 * GET /v1/sessions (a token's sessions, or its search hits with ?search=), GET /v1/sessions/{id}
 * (one session's messages; with ?search=, only those with the words) and DELETE /v1/sessions/{id} (the session, its messages, turns and
 * cache entries, as `history --delete`). A token sees only its own sessions: the list and the
 * search are filtered by owner in the store's query; another token's session is 404, never 403,
 * so a session id cannot be probed.
 */
import { Hono } from 'hono';
import { SNIPPET_MARK_END, SNIPPET_MARK_START, type SessionStore, type SessionSummary } from '../store/store.js';
import { ownerOf, type Principal } from './auth.js';
import { HttpError } from './http-errors.js';
import { parseBody } from './schemas.js';
import {
  deleteSessionQuery, sessionPath, sessionQuery, sessionsQuery, type SearchResults, type SessionList, type SessionTranscript,
} from './sessions-schemas.js';

/** What the sessions routes read and delete. */
export type SessionsRouteStore = Pick<SessionStore, 'getSession' | 'listSessions' | 'messages' | 'search' | 'deleteSession'>;

export function sessionsRoutes(store: SessionsRouteStore): Hono<{ Variables: { principal: Principal } }> {
  const routes = new Hono<{ Variables: { principal: Principal } }>();

  routes.get('/', async (context) => {
    const query = parseBody(sessionsQuery, context.req.query());
    const owner = ownerOf(context.get('principal'));
    if (query.search !== undefined) {
      const hits = await store.search(query.search, { limit: query.limit, owner });
      const found: SearchResults = {
        hits: hits.map((hit) => ({
          session: hit.sessionId,
          message_id: hit.messageId,
          role: hit.role,
          created_at: hit.createdAt.toISOString(),
          snippet: hit.snippet.replaceAll(SNIPPET_MARK_START, '').replaceAll(SNIPPET_MARK_END, ''),
        })),
      };
      return context.json(found);
    }
    const list: SessionList = { sessions: (await store.listSessions({ limit: query.limit, owner })).map(summary) };
    return context.json(list);
  });

  routes.get('/:id', async (context) => {
    const query = parseBody(sessionQuery, context.req.query());
    const session = await ownSession(store, context.get('principal'), context.req.param('id'));
    let messages = await store.messages(session.id);
    if (query.search !== undefined) {
      const found = new Set((await store.search(query.search, { limit: messages.length || 1, session: session.id })).map((hit) => hit.messageId));
      messages = messages.filter((message) => found.has(message.id));
    }
    const transcript: SessionTranscript = {
      ...summary(session),
      messages: messages.map((message) => ({
        id: message.id,
        role: message.role,
        content: message.content,
        status: message.status,
        model: message.model ?? null,
        created_at: message.createdAt.toISOString(),
      })),
    };
    return context.json(transcript);
  });

  routes.delete('/:id', async (context) => {
    parseBody(deleteSessionQuery, context.req.query());
    const session = await ownSession(store, context.get('principal'), context.req.param('id'));
    // Gone meanwhile (another request deleted it): as missing as if it never was.
    if ((await store.deleteSession(session.id)) === undefined) throw notFound(session.id);
    return context.body(null, 204);
  });

  return routes;
}

/** The session of that id if this token owns it; a 400 for an id that cannot be one, a 404 for one that is not its own. */
async function ownSession(store: SessionsRouteStore, principal: Principal, requested: string): Promise<SessionSummary> {
  const { id } = parseBody(sessionPath, { id: requested });
  const session = await store.getSession(id);
  if (!session || session.owner !== ownerOf(principal)) throw notFound(id);
  return session;
}

function notFound(id: string): HttpError {
  return new HttpError(404, `No session "${id}".`, 'not_found', 'id');
}

function summary(session: SessionSummary): SessionList['sessions'][number] {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    updated_at: session.updatedAt.toISOString(),
    message_count: session.messageCount,
    preview: session.preview,
  };
}
