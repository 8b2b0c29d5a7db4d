/**
 * GET /metrics in the Prometheus text format (version 0.0.4): requests by route and status,
 * latency per route as a histogram, answer-cache hits and upstream (model) errors. A small
 * exposition of our own rather than prom-client: four series need no dependency, and nothing
 * here loads outside `serve`. The numbers are per process: with several replicas, Prometheus
 * scrapes each one and sums them.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { ChatModel } from '../chat/chat-model.js';
import { isAbortError } from '../chat/chat-model.js';
import type { RequestLog } from '../observability/request-log.js';

/** Latency buckets in seconds: from a cached answer to a long streamed one. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface LatencySeries {
  method: string;
  route: string;
  /** Observations at or under each bucket's bound (cumulative, as the format wants). */
  buckets: number[];
  count: number;
  sum: number;
}

export class ServerMetrics {
  private readonly requests = new Map<string, { method: string; route: string; status: number; count: number }>();
  private readonly latencies = new Map<string, LatencySeries>();
  private cacheHits = 0;
  private upstreamErrors = 0;

  /** One finished request. `route` is the route's pattern (/v1/sessions/:id), never a raw path, so series stay few. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const requestKey = `${method} ${route} ${status}`;
    const request = this.requests.get(requestKey) ?? { method, route, status, count: 0 };
    request.count += 1;
    this.requests.set(requestKey, request);

    const latencyKey = `${method} ${route}`;
    const latency = this.latencies.get(latencyKey) ?? { method, route, buckets: LATENCY_BUCKETS.map(() => 0), count: 0, sum: 0 };
    LATENCY_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) latency.buckets[index]! += 1;
    });
    latency.count += 1;
    latency.sum += seconds;
    this.latencies.set(latencyKey, latency);
  }

  /** The request log the answer cache writes to: a cached row is a hit. Rows still go to `inner`. */
  countingCacheHits(inner: RequestLog | undefined): RequestLog {
    return {
      record: (records) => {
        this.cacheHits += records.filter((record) => record.cached).length;
        inner?.record(records);
      },
      flush: async () => inner?.flush(),
    };
  }

  /** The chat model, counting the calls that fail upstream (a client going away is not one). */
  countingUpstreamErrors(inner: ChatModel): ChatModel {
    const count = (): void => void (this.upstreamErrors += 1);
    return {
      baseURL: inner.baseURL,
      async *generate(request, options) {
        try {
          yield* inner.generate(request, options);
        } catch (error) {
          if (!isAbortError(error)) count();
          throw error;
        }
      },
    };
  }

  exposition(): string {
    const lines = [
      '# HELP assistant_http_requests_total HTTP requests answered by this process, by route and status.',
      '# TYPE assistant_http_requests_total counter',
      ...[...this.requests.values()].map((series) => `assistant_http_requests_total${labels({ method: series.method, route: series.route, status: String(series.status) })} ${series.count}`),
      '# HELP assistant_http_request_duration_seconds Time from a request arriving to its response (a stream: to its headers), by route.',
      '# TYPE assistant_http_request_duration_seconds histogram',
    ];
    for (const series of this.latencies.values()) {
      const base = { method: series.method, route: series.route };
      LATENCY_BUCKETS.forEach((bound, index) => lines.push(`assistant_http_request_duration_seconds_bucket${labels({ ...base, le: String(bound) })} ${series.buckets[index]!}`));
      lines.push(`assistant_http_request_duration_seconds_bucket${labels({ ...base, le: '+Inf' })} ${series.count}`);
      lines.push(`assistant_http_request_duration_seconds_sum${labels(base)} ${series.sum}`);
      lines.push(`assistant_http_request_duration_seconds_count${labels(base)} ${series.count}`);
    }
    lines.push(
      '# HELP assistant_answer_cache_hits_total Answers served from the shared answer cache by this process.',
      '# TYPE assistant_answer_cache_hits_total counter',
      `assistant_answer_cache_hits_total ${this.cacheHits}`,
      '# HELP assistant_upstream_errors_total Model calls from this process that failed upstream (not counting clients that went away).',
      '# TYPE assistant_upstream_errors_total counter',
      `assistant_upstream_errors_total ${this.upstreamErrors}`,
    );
    return `${lines.join('\n')}\n`;
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

function labels(values: Record<string, string>): string {
  // The format's escapes: backslash, double quote and newline.
  const escaped = Object.entries(values).map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return `{${escaped.join(',')}}`;
}
