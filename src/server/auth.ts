/**
 * Who is asking: every route but the health checks needs `Authorization: Bearer <token>`.
 * Only the SHA-256 of a token is stored and looked up; the token itself is never kept,
 * logged or echoed. A revoked token is refused on its next request, on every replica, since
 * the lookup reads the shared store each time.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-errors.js';

/** A person's token, as the server sees it. */
export interface Principal {
  tokenId: string;
  name: string;
}

export interface TokenLookup {
  /** The token with this hash, revoked ones included (with revokedAt). */
  tokenByHash(hash: string): Promise<{ id: string; name: string; revokedAt?: Date | undefined } | undefined>;
}

/** Tokens are `ast_` and 32 letters or digits; anything else is refused before the store is asked. */
const TOKEN_PATTERN = /^ast_[A-Za-z0-9]{32}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const challenge = { 'WWW-Authenticate': 'Bearer realm="assistant"' };

export function requireToken(tokens: TokenLookup): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  return async (context, next) => {
    const header = context.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new HttpError(401, 'Missing bearer token: send "Authorization: Bearer <token>" (make one with: assistant token create --name <you>).', 'authentication', undefined, challenge);
    const token = match[1]!;
    const found = TOKEN_PATTERN.test(token) ? await tokens.tokenByHash(hashToken(token)) : undefined;
    if (!found) throw new HttpError(401, 'The bearer token is not valid.', 'authentication', undefined, challenge);
    if (found.revokedAt) throw new HttpError(401, 'The bearer token was revoked.', 'authentication', undefined, challenge);
    context.set('principal', { tokenId: found.id, name: found.name });
    await next();
  };
}

/** The owner recorded on a token's sessions: other tokens do not see them. */
export function ownerOf(principal: Principal): string {
  return `token:${principal.tokenId}`;
}
