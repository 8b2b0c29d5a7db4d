/**
 * The HTTP application: health checks, then everything under /v1 behind a bearer token and
 * a body limit. Built from injected parts, so tests (and a Vercel function) serve the same
 * routes as `assistant serve`. Every error leaves as one JSON shape (http-errors.ts).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { askRoute, type AskSettings } from './ask-route.js';
import { gatewayRoutes, type GatewayDependencies } from './gateway.js';
import { talkRoute, type SpeechSettings, type TalkDependencies } from './talk-route.js';
import { MAX_AUDIO_BYTES } from '../input/audio-input.js';
import { requireToken, type Principal, type TokenLookup } from './auth.js';
import { HttpError } from './http-errors.js';
import { enforceLimits, meteredChatModel, type LimitDependencies } from './limits.js';
import { metricsMiddleware, metricsRoute, ServerMetrics, type RateLimit } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { sessionsRoutes, type SessionsRouteStore } from './sessions-routes.js';
import { httpsOnly, type TransportSettings } from './transport.js';
import { cors } from 'hono/cors';
import { webPage } from './web-page.js';

export interface ServerDependencies extends TalkDependencies {
  store: TalkDependencies['store'] & SessionsRouteStore;
  tokens: TokenLookup;
  /** Counters for the per-token limits (limits.ts); `now` (default Date.now) drives their windows. */
  usage: LimitDependencies['usage'];
  now?: () => number;
  /** Resolves when the store is reachable and migrated; rejects with why not. */
  ready(): Promise<void>;
  /** One line per request (route, status, latency, token name): never a token, never content. */
  log?: (entry: RequestLogLine) => void;
  /** This process's counters for GET /metrics; the serve process shares them with its cache and model (metrics.ts). */
  metrics?: ServerMetrics;
  /** The OpenAI-compatible gateway (/v1/models, /v1/chat/completions, /v1/audio/*); left out, those routes are 404. */
  gateway?: GatewayDependencies;
}

export interface RequestLogLine {
  at: string;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  token?: string;
}

export interface ServerSettings extends AskSettings, Partial<TransportSettings> {
  version: string;
  /** Browser origins allowed to call the API; none when left out. */
  corsOrigins?: string[] | undefined;
  /** For POST /v1/talk; without it (or without dependencies.speech) the route answers 503. */
  speech?: SpeechSettings | undefined;
  /** Concurrent model calls per token in this process (default 4). */
  concurrentCallsPerToken?: number | undefined;
}

/** Routes whose body is audio, with the larger limit. */
const AUDIO_ROUTES = new Set(['/v1/talk', '/v1/audio/transcriptions']);

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

  const metrics = dependencies.metrics ?? new ServerMetrics();
  app.use(metricsMiddleware(metrics));
  app.get('/metrics', requireToken(dependencies.tokens), metricsRoute(metrics));
  app.get('/healthz', (context) => context.json({ status: 'ok' }));
  app.get('/readyz', async (context) => {
    try {
      await dependencies.ready();
      return context.json({ status: 'ready' });
    } catch {
      throw new HttpError(503, 'The store is not reachable.', 'unavailable');
    }
  });

  app.use('/v1/*', httpsOnly({ environment: settings.environment ?? 'development', trustedProxyHops: settings.trustedProxyHops ?? 1, tls: settings.tls ?? false }));
  // Off unless origins are configured: a web page elsewhere cannot call the API with someone's token.
  if (settings.corsOrigins) app.use('/v1/*', cors({ origin: settings.corsOrigins, allowHeaders: ['Authorization', 'Content-Type'], maxAge: 600 }));
  // JSON around the largest question allowed, so an oversized body is refused before it is read whole.
  const maxBody = settings.maxInputBytes * 2 + 64 * 1024;
  const limitOf = (maxSize: number): MiddlewareHandler =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new HttpError(413, `The body is over the ${maxSize}-byte limit.`, 'too_large');
      },
    });
  // Audio uploads may be up to the transcription endpoints' 25 MB (and a form's framing).
  const audioLimit = limitOf(MAX_AUDIO_BYTES + 64 * 1024);
  const jsonLimit = limitOf(maxBody);
  app.use('/v1/*', (context, next) => (AUDIO_ROUTES.has(context.req.path) ? audioLimit : jsonLimit)(context, next));
  app.use('/v1/*', requireToken(dependencies.tokens));
  const limits = { usage: dependencies.usage, now: dependencies.now ?? Date.now, concurrentCallsPerToken: settings.concurrentCallsPerToken, onRefused: (limit: RateLimit) => metrics.observeRateLimited(limit) };
  app.use('/v1/*', enforceLimits(limits));
  const metered = { ...dependencies, chatModel: meteredChatModel(dependencies.chatModel, limits) };
  app.post('/v1/ask', askRoute(metered, settings));
  app.post('/v1/talk', talkRoute(metered, settings));
  app.route('/v1/sessions', sessionsRoutes(dependencies.store));
  if (dependencies.gateway) app.route('/v1', gatewayRoutes(dependencies.gateway, settings));
  app.get('/v1/openapi.json', (context) => context.json(openApiDocument(settings.version)));
  app.route('/', webPage(settings.speech));

  app.notFound((context) => context.json(new HttpError(404, 'No such route.', 'not_found').body, 404));
  app.onError((error, context) => {
    if (error instanceof HttpError) return context.json(error.body, error.status, error.headers);
    return context.json(new HttpError(500, 'Internal error.', 'internal').body, 500);
  });
  return app;
}
