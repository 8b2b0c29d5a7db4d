/**
 * GET /metrics in the Prometheus text format: requests by route and status, the time of each
 * request and of each stage inside it (transcription, time to first token, the whole chat
 * answer, speech synthesis, store writes), cache hits and misses by kind, cache writes that failed, upstream errors by
 * endpoint and status, and rate-limit refusals by limit. The parts that feed it are decorators
 * around the server's models, cache and store (metric-observers.ts), built once in
 * server-app.ts. The numbers are per process: with several replicas, Prometheus scrapes each
 * one and sums them.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { CacheKind, RequestEndpoint } from '../store/store.js';
import { Counter, Histogram } from './metric-series.js';

/** The stages of a request that are timed, from the turn core's model calls and the gateway's upstream calls. */
export type Stage = 'transcription' | 'first_token' | 'chat' | 'speech' | 'store_write';

/** The per-token limits (limits.ts) a request can be refused by. */
export type RateLimit = 'requests_per_minute' | 'tokens_per_day' | 'concurrency';

export class ServerMetrics {
  private readonly requests = new Counter('assistant_http_requests_total', 'HTTP requests answered by this process, by route and status.');
  private readonly requestSeconds = new Histogram(
    'assistant_http_request_duration_seconds',
    'Time from a request arriving to its response (a stream: to its headers), by route.',
  );
  private readonly stageSeconds = new Histogram(
    'assistant_stage_duration_seconds',
    'Time of each stage of the requests this process served: transcription, first_token (a model call to its first text), chat (a whole answer), speech (synthesis to the last byte), store_write (a message or a turn).',
  );
  private readonly cacheHits = new Counter('assistant_cache_hits_total', 'Lookups in the shared response cache that found an entry, by kind.');
  private readonly cacheMisses = new Counter('assistant_cache_misses_total', 'Lookups in the shared response cache that found nothing, by kind.');
  private readonly cacheWriteFailures = new Counter('assistant_cache_write_failures_total', 'Entries the shared response cache could not store (the requests went on without them).');
  private readonly upstreamErrors = new Counter(
    'assistant_upstream_errors_total',
    'Calls to the upstream server that failed, by endpoint, HTTP status ("none": no answer) and error class (not counting clients that went away).',
  );
  private readonly rateLimited = new Counter('assistant_rate_limited_total', 'Requests refused with 429 by a per-token limit, by limit.');

  constructor() {
    // There at 0 from the start: an alert on it never meets an absent series.
    this.cacheWriteFailures.increment({}, 0);
  }

  /** One finished request. `route` is the route's pattern (/v1/sessions/:id), never a raw path, so series stay few. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.increment({ method, route, status: String(status) });
    this.requestSeconds.observe({ method, route }, seconds);
  }

  observeStage(stage: Stage, seconds: number): void {
    this.stageSeconds.observe({ stage }, seconds);
  }

  observeCacheLookup(kind: CacheKind, hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).increment({ kind });
  }

  observeCacheWriteFailure(): void {
    this.cacheWriteFailures.increment();
  }

  /** `errorClass` is the request log's name for the failure ("InternalServerError", "Timeout", "ECONNREFUSED"). */
  observeUpstreamError(endpoint: RequestEndpoint, status: number | undefined, errorClass: string): void {
    this.upstreamErrors.increment({ endpoint, status: status === undefined ? 'none' : String(status), error: errorClass });
  }

  observeRateLimited(limit: RateLimit): void {
    this.rateLimited.increment({ limit });
  }

  exposition(): string {
    const series = [this.requests, this.requestSeconds, this.stageSeconds, this.cacheHits, this.cacheMisses, this.cacheWriteFailures, this.upstreamErrors, this.rateLimited];
    return `${series.flatMap((one) => one.lines()).join('\n')}\n`;
  }
}

/** Counts every request once it is answered, under its route's pattern. */
export function metricsMiddleware(metrics: ServerMetrics): MiddlewareHandler {
  return async (context, next) => {
    const started = performance.now();
    await next();
    metrics.observeRequest(context.req.method, context.req.routePath, context.res.status, (performance.now() - started) / 1000);
  };
}

export function metricsRoute(metrics: ServerMetrics) {
  return (context: Context): Response =>
    context.body(metrics.exposition(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
}
