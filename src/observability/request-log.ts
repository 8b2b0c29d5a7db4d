/**
 * The audit trail of model calls. Adapters trace each call (traceCall); the instrumented
 * fetch notes every HTTP attempt inside it; the rows go to the store, with no content and
 * no secrets. Writing is best effort: a failing log never fails the user's request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestEndpoint, RequestRecord, Store } from '../store/store.js';

export interface RequestLog {
  record(records: RequestRecord[]): void;
  /** Waits for pending writes (before the process exits). */
  flush(): Promise<void>;
}

/** Who a call is for: the session and turn its rows are filed under. */
export interface TraceContext {
  sessionId?: string | undefined;
  turnKey?: string | undefined;
}

interface Attempt {
  at: number;
  startedAt: number;
  attempt: number;
  status?: number;
  errorClass?: string;
  firstByteMs?: number;
  latencyMs?: number;
  requestId?: string;
}

export interface CallResult {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  /** performance.now() when the first token arrived; stored relative to the last attempt's start. */
  firstTokenAt?: number | undefined;
  audioSeconds?: number | undefined;
  characters?: number | undefined;
  errorClass?: string | undefined;
}

const currentCall = new AsyncLocalStorage<CallTrace>();

export class CallTrace {
  private readonly attempts: Attempt[] = [];
  private finished = false;

  constructor(
    private readonly log: RequestLog | undefined,
    private readonly info: { endpoint: RequestEndpoint; host: string; model: string } & TraceContext,
  ) {}

  /** Runs the SDK call so the instrumented fetch can file its attempts here. */
  run<T>(call: () => Promise<T>): Promise<T> {
    return currentCall.run(this, call);
  }

  /** Called by the instrumented fetch. */
  addAttempt(attempt: Attempt): Attempt {
    this.attempts.push(attempt);
    return attempt;
  }

  /** The call is over: its rows go to the log (tokens and the rest on the last attempt). */
  finish(result: CallResult = {}): void {
    if (this.finished || !this.log) return;
    this.finished = true;
    const now = performance.now();
    if (this.attempts.length === 0) this.attempts.push({ at: Date.now(), startedAt: now, attempt: 1, errorClass: result.errorClass ?? 'NoResponse' });
    const last = this.attempts.at(-1)!;
    last.latencyMs = now - last.startedAt;
    if (result.errorClass && last.status === undefined && last.errorClass === undefined) last.errorClass = result.errorClass;
    this.log.record(
      this.attempts.map((attempt) => ({
        at: attempt.at,
        sessionId: this.info.sessionId,
        turnKey: this.info.turnKey,
        endpoint: this.info.endpoint,
        host: this.info.host,
        model: this.info.model,
        status: attempt.status,
        errorClass: attempt.errorClass,
        attempt: attempt.attempt,
        latencyMs: attempt.latencyMs,
        firstByteMs: attempt.firstByteMs,
        cached: false,
        requestId: attempt.requestId,
        ...(attempt === last
          ? {
              inputTokens: result.inputTokens,
              outputTokens: result.outputTokens,
              firstTokenMs: result.firstTokenAt === undefined ? undefined : result.firstTokenAt - last.startedAt,
              audioSeconds: result.audioSeconds,
              characters: result.characters,
            }
          : {}),
      })),
    );
  }
}

const STATUS_CLASSES: Record<number, string> = {
  400: 'BadRequestError', 401: 'AuthenticationError', 403: 'PermissionDeniedError', 404: 'NotFoundError',
  409: 'ConflictError', 422: 'UnprocessableEntityError', 429: 'RateLimitError',
};

/**
 * A fetch that notes each HTTP attempt (status, time to first byte, the server's request id,
 * which retry it was) on the call being traced. The SDK numbers its retries in a header.
 */
export function instrumentFetch(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const trace = currentCall.getStore();
    // The SDK also fetches data: URLs to build multipart bodies; those are not requests.
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!trace || !/^https?:/i.test(url)) return inner(input, init);
    const retry = Number(new Headers(init?.headers).get('x-stainless-retry-count') ?? 0);
    const attempt = trace.addAttempt({ at: Date.now(), startedAt: performance.now(), attempt: retry + 1 });
    try {
      const response = await inner(input, init);
      attempt.firstByteMs = performance.now() - attempt.startedAt;
      attempt.status = response.status;
      const requestId = response.headers.get('x-request-id');
      if (requestId) attempt.requestId = requestId;
      if (response.status >= 400) {
        attempt.errorClass = STATUS_CLASSES[response.status] ?? (response.status >= 500 ? 'InternalServerError' : `HTTP${response.status}`);
        attempt.latencyMs = attempt.firstByteMs;
      }
      return response;
    } catch (error) {
      attempt.latencyMs = performance.now() - attempt.startedAt;
      attempt.errorClass = networkErrorClass(error);
      throw error;
    }
  };
}

function networkErrorClass(error: unknown): string {
  if (error instanceof Error && error.name === 'AbortError') return 'Aborted';
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.name : 'Error';
}

/** Writes the log to the store, pruning rows older than the retention once per process. */
export class StoreRequestLog implements RequestLog {
  private pending: Promise<void> = Promise.resolve();
  private pruned = false;

  constructor(
    private readonly openStore: () => Promise<Store>,
    private readonly retentionDays: number,
    private readonly now: () => number = Date.now,
  ) {}

  record(records: RequestRecord[]): void {
    this.pending = this.pending
      .then(async () => {
        const store = await this.openStore();
        await store.recordRequests(records);
        if (!this.pruned) {
          this.pruned = true;
          await store.pruneRequests(this.now() - this.retentionDays * 86_400_000);
        }
      })
      .catch(() => {});
  }

  flush(): Promise<void> {
    return this.pending;
  }
}
