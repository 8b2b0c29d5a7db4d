/**
 * The HTTP application: health checks, then everything under /v1 behind a bearer token and
 * a body limit. Built from injected parts, so tests (and a Vercel function) serve the same
 * routes as `assistant serve`. Every error leaves as one JSON shape (http-errors.ts).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { askRoute, type AskDependencies, type AskSettings } from './ask-route.js';
import { requireToken, type Principal, type TokenLookup } from './auth.js';
import { HttpError } from './http-errors.js';
import { enforceLimits, meteredChatModel, type LimitDependencies } from './limits.js';
import { openApiDocument } from './openapi.js';

export interface ServerDependencies extends AskDependencies {
  tokens: TokenLookup;
  /** Counters for the per-token limits (limits.ts); `now` (default Date.now) drives their windows. */
  usage: LimitDependencies['usage'];
  now?: () => number;
  /** Resolves when the store is reachable and migrated; rejects with why not. */
  ready(): Promise<void>;
  /** One line per request (route, status, latency, token name): never a token, never content. */
  log?: (entry: RequestLogLine) => void;
}

export interface RequestLogLine {
  at: string;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  token?: string;
}

export interface ServerSettings extends AskSettings {
  version: string;
  /** Concurrent model calls per token in this process (default 4). */
  concurrentCallsPerToken?: number | undefined;
}

export function createApp(dependencies: ServerDependencies, settings: ServerSettings): Hono<{ Variables: { principal: Principal } }> {
  const app = new Hono<{ Variables: { principal: Principal } }>();

  app.use(async (context, next) => {
    const started = performance.now();
    await next();
    const principal = context.get('principal') as Principal | undefined;
    dependencies.log?.({
      at: new Date().toISOString(),
      method: context.req.method,
      // The route's pattern, for a route; the path itself (escaped in the JSON) for anything else.
      path: context.req.routePath.includes('*') ? context.req.path : context.req.routePath,
      status: context.res.status,
      latencyMs: Math.round(performance.now() - started),
      ...(principal ? { token: principal.name } : {}),
    });
  });

  app.get('/healthz', (context) => context.json({ status: 'ok' }));
  app.get('/readyz', async (context) => {
    try {
      await dependencies.ready();
      return context.json({ status: 'ready' });
    } catch {
      throw new HttpError(503, 'The store is not reachable.', 'unavailable');
    }
  });

  // JSON around the largest question allowed, so an oversized body is refused before it is read whole.
  const maxBody = settings.maxInputBytes * 2 + 64 * 1024;
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: maxBody,
      onError: () => {
        throw new HttpError(413, `The body is over the ${maxBody}-byte limit.`, 'too_large');
      },
    }),
  );
  app.use('/v1/*', requireToken(dependencies.tokens));
  const limits = { usage: dependencies.usage, now: dependencies.now ?? Date.now, concurrentCallsPerToken: settings.concurrentCallsPerToken };
  app.use('/v1/*', enforceLimits(limits));
  app.post('/v1/ask', askRoute({ ...dependencies, chatModel: meteredChatModel(dependencies.chatModel, limits) }, settings));
  app.get('/v1/openapi.json', (context) => context.json(openApiDocument(settings.version)));

  app.notFound((context) => context.json(new HttpError(404, 'No such route.', 'not_found').body, 404));
  app.onError((error, context) => {
    if (error instanceof HttpError) return context.json(error.body, error.status, error.headers);
    return context.json(new HttpError(500, 'Internal error.', 'internal').body, 500);
  });
  return app;
}
