/**
 * The transport rules: in production the API is HTTPS only. Behind a platform (Heroku, Cloud
 * Run, Vercel, a load balancer) TLS ends at the proxy, which says how the client came in with
 * X-Forwarded-Proto; only the entry the nearest trusted hop wrote is believed (a client can
 * send the header too). HSTS tells browsers to keep to HTTPS. Health checks stay reachable
 * over plain HTTP: platforms probe them from inside.
 */
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-errors.js';

export interface TransportSettings {
  environment: 'production' | 'development';
  /** Proxies in front whose X-Forwarded-Proto entries are believed. */
  trustedProxyHops: number;
  /** The server itself terminates TLS (--tls-cert/--tls-key). */
  tls: boolean;
}

const HSTS = 'max-age=63072000; includeSubDomains';

export function httpsOnly(settings: TransportSettings): MiddlewareHandler {
  return async (context, next) => {
    if (settings.environment !== 'production') return next();
    if (!settings.tls && clientProtocol(context.req.header('x-forwarded-proto'), settings.trustedProxyHops) !== 'https') {
      throw new HttpError(403, 'HTTPS only: this server refuses plain HTTP in production.', 'forbidden');
    }
    await next();
    context.header('Strict-Transport-Security', HSTS);
  };
}

/**
 * The protocol the client used, as the first of the trusted proxies saw it: each proxy appends
 * its entry, so with N trusted hops it is the Nth entry from the end. None trusted, or fewer
 * entries than hops: unknown (refused).
 */
export function clientProtocol(header: string | undefined, trustedHops: number): string | undefined {
  if (header === undefined || trustedHops <= 0) return undefined;
  const entries = header.split(',').map((entry) => entry.trim().toLowerCase());
  return entries.length >= trustedHops ? entries[entries.length - trustedHops] : undefined;
}
