/**
 * The audit trail of model calls. Adapters trace each call (traceCall); the instrumented
 * fetch notes every HTTP attempt inside it; the rows go to the store, with no content and
 * no secrets. Writing is best effort: a failing log never fails the user's request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestEndpoint, RequestRecord, RequestStore } from '../store/store.js';

export interface RequestLog {
  record(records: RequestRecord[]): void;
  /** Waits for pending writes (before the process exits). */
  flush(): Promise<void>;
}

/** Who a call is for: the session and turn its rows are filed under. */
export interface TraceContext {
  sessionId?: string | undefined;
  turnKey?: string | undefined;
  /** The personal token the call is made for (`assistant serve`): its name is logged, its id is charged. */
  token?: { id: string; name: string } | undefined;
  /** Made before the turn was committed (talk's speculative start): counted in stats as the cost of speculation. */
  speculative?: boolean | undefined;
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
    /** The caller's signal: tells the user's stop ("Aborted") from the SDK's own timeout ("Timeout"). */
    readonly signal?: AbortSignal | undefined,
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
    // A failure after a 200 (the stream cut, stalled, stopped, an empty answer) is the call's outcome too.
    if (result.errorClass && last.errorClass === undefined) last.errorClass = result.errorClass;
    this.log.record(
      this.attempts.map((attempt) => ({
        at: attempt.at,
        sessionId: this.info.sessionId,
        turnKey: this.info.turnKey,
        ...(this.info.token === undefined ? {} : { token: this.info.token.name }),
        ...(this.info.speculative ? { speculative: true } : {}),
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
              inputTokens: tokenCount(result.inputTokens),
              outputTokens: tokenCount(result.outputTokens),
              firstTokenMs: result.firstTokenAt === undefined ? undefined : result.firstTokenAt - last.startedAt,
              audioSeconds: result.audioSeconds !== undefined && Number.isFinite(result.audioSeconds) && result.audioSeconds >= 0 ? result.audioSeconds : undefined,
              characters: tokenCount(result.characters),
            }
          : {}),
      })),
    );
  }
}

/** The signal of the call being traced, if any (see CallTrace.signal). */
export function callerSignal(): AbortSignal | undefined {
  return currentCall.getStore()?.signal;
}

/** Larger than any real request; a server reporting more is wrong, and must not skew stats or the daily token limit. */
export const MAX_TOKEN_COUNT = 1_000_000_000;

/**
 * A count from a server (tokens, characters) that may be stored: a whole number from 0 to
 * MAX_TOKEN_COUNT. Anything else (negative, fractional, NaN, absurd) is dropped, never stored.
 */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TOKEN_COUNT ? value : undefined;
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
        attempt.errorClass = statusClass(response.status);
        attempt.latencyMs = attempt.firstByteMs;
      }
      return response;
    } catch (error) {
      attempt.latencyMs = performance.now() - attempt.startedAt;
      // The SDK aborts the fetch itself when TIMEOUT passes: that is a timeout, not the user's stop.
      attempt.errorClass = isAbort(error) && !trace.signal?.aborted ? 'Timeout' : errorClassOf(error);
      throw error;
    }
  };
}

function statusClass(status: number): string {
  return STATUS_CLASSES[status] ?? (status >= 500 ? 'InternalServerError' : `HTTP${status}`);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.constructor.name === 'APIUserAbortError');
}

/**
 * The request log's name for why a call failed: "Aborted" (the user stopped it), "Timeout",
 * "IdleTimeout", the network's code ("ECONNREFUSED", "ENOTFOUND", "ECONNRESET"), the HTTP class
 * ("RateLimitError"), or an error's own `errorClass` ("EmptyAnswer"). Never fetch's bare
 * "TypeError": its cause (or the cause's cause) holds the code.
 */
export function errorClassOf(error: unknown): string {
  const own = (error as { errorClass?: unknown } | null | undefined)?.errorClass;
  if (typeof own === 'string') return own;
  // A translated error (AssistantError) is named by what it translated.
  if (error instanceof Error && error.name === 'AssistantError' && error.cause !== undefined) return errorClassOf(error.cause);
  if (isAbort(error)) return 'Aborted';
  if (error instanceof Error && error.constructor.name === 'APIConnectionTimeoutError') return 'Timeout';
  const code = networkCode(error);
  if (code) return code;
  const status = (error as { status?: unknown } | null | undefined)?.status;
  if (typeof status === 'number' && status >= 400) return statusClass(status);
  if (error instanceof Error && (error.constructor.name === 'APIConnectionError' || (error instanceof TypeError && error.message === 'fetch failed'))) return 'ConnectionError';
  if (error instanceof SyntaxError) return 'MalformedResponse';
  return error instanceof Error ? error.constructor.name : 'Error';
}

/** undici's own codes, in words a person reading `log --errors` knows. */
const UNDICI_CODES: Record<string, string> = {
  UND_ERR_SOCKET: 'ConnectionClosed',
  UND_ERR_CONNECT_TIMEOUT: 'Timeout',
  UND_ERR_HEADERS_TIMEOUT: 'Timeout',
  UND_ERR_BODY_TIMEOUT: 'Timeout',
};

/** The first error code in the cause chain (fetch's TypeError -> Error { code: "ECONNREFUSED" }, or an AggregateError's). */
function networkCode(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$|^UND_ERR/.test(code)) return UNDICI_CODES[code] ?? code;
    const first = (cause as { errors?: unknown }).errors;
    if (Array.isArray(first) && typeof (first[0] as { code?: unknown } | undefined)?.code === 'string') return (first[0] as { code: string }).code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Rows in one INSERT at most (PostgreSQL takes up to 65,535 parameters; a row has about 20). */
const ROWS_PER_WRITE = 1_000;

/**
 * Writes the log to the store, pruning rows older than the retention once per process. One
 * write at a time: rows recorded while one is in flight go together in the next INSERT, so a
 * busy server writes a few batches instead of a statement per call (which fell behind under load).
 */
export class StoreRequestLog implements RequestLog {
  private pending: Promise<void> = Promise.resolve();
  private buffered: RequestRecord[] = [];
  private pruned = false;

  constructor(
    private readonly openStore: () => Promise<RequestStore>,
    private readonly retentionDays: number,
    private readonly now: () => number = Date.now,
  ) {}

  record(records: RequestRecord[]): void {
    this.buffered.push(...records);
    this.pending = this.pending.then(() => this.writeBuffered()).catch(() => {});
  }

  flush(): Promise<void> {
    return this.pending;
  }

  /** Everything recorded so far (nothing when an earlier write took it already). */
  private async writeBuffered(): Promise<void> {
    while (this.buffered.length > 0) {
      const batch = this.buffered.splice(0, ROWS_PER_WRITE);
      const store = await this.openStore();
      await store.recordRequests(batch);
      if (!this.pruned) {
        this.pruned = true;
        await store.pruneRequests(this.now() - this.retentionDays * 86_400_000);
      }
    }
  }
}
