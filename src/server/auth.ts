/**
 * Who is asking: every route but the health checks needs `Authorization: Bearer <token>`.
 * Only the SHA-256 of a token is stored and looked up; the token itself is never kept,
 * logged or echoed. A revoked token is refused on its next request, on every replica, since
 * the lookup reads the shared store each time.
 */
import type { MiddlewareHandler } from 'hono';
import { hashTokenSecret, looksLikeTokenSecret } from '../tokens/token-secret.js';
import type { TokenStore } from '../store/store.js';
import type { BackgroundWrites } from './background-writes.js';
import { HttpError } from './http-errors.js';

/** A person's token, as the server sees it. */
export interface Principal {
  tokenId: string;
  name: string;
  /** The token's limits (limits.ts); undefined: none. */
  requestsPerMinute?: number | undefined;
  tokensPerDay?: number | undefined;
}

/** Finds tokens; records when each was last used (for `assistant token list`), when it can. */
export type TokenLookup = Pick<TokenStore, 'tokenByHash'> & Partial<Pick<TokenStore, 'touchToken'>>;

/** "Last used" is kept to the minute: a write per request would load a shared store for nothing. */
const TOUCH_EVERY_MILLISECONDS = 60_000;

const challenge = { 'WWW-Authenticate': 'Bearer realm="assistant"' };

/** `background`: where the "last used" write goes, off the request's path; without it, it is awaited. */
export function requireToken(tokens: TokenLookup, background?: BackgroundWrites): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  return async (context, next) => {
    const header = context.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new HttpError(401, 'Missing bearer token: send "Authorization: Bearer <token>" (make one with: assistant token create --name <you>).', 'authentication', undefined, challenge);
    const token = match[1]!;
    const found = looksLikeTokenSecret(token) ? await tokens.tokenByHash(hashTokenSecret(token)) : undefined;
    if (!found) throw new HttpError(401, 'The bearer token is not valid.', 'authentication', undefined, challenge);
    if (found.revokedAt) throw new HttpError(401, 'The bearer token was revoked.', 'authentication', undefined, challenge);
    const now = Date.now();
    const touch = tokens.touchToken;
    if (touch && (found.lastUsedAt === undefined || now - found.lastUsedAt.getTime() >= TOUCH_EVERY_MILLISECONDS)) {
      if (background) background.start(() => touch.call(tokens, found.id, now));
      else await touch.call(tokens, found.id, now);
    }
    context.set('principal', { tokenId: found.id, name: found.name, requestsPerMinute: found.requestsPerMinute, tokensPerDay: found.tokensPerDay });
    await next();
  };
}

/** The owner recorded on a token's sessions: other tokens do not see them. */
export function ownerOf(principal: Principal): string {
  return `token:${principal.tokenId}`;
}
