/**
 * One call to the upstream OpenAI-compatible server for the gateway: with the SERVER's key
 * (the client's bearer is a personal token and never leaves this process), a timeout on
 * silence (TIMEOUT: for the headers, then between streamed pieces), the client's going away
 * aborting it, and one row in the request log when it is over. Not through the chat
 * adapter: the gateway passes OpenAI's wire format through as it is.
 */
import type { RequestLog } from '../observability/request-log.js';
import { tokenCount } from '../observability/request-log.js';
import type { RequestEndpoint } from '../store/store.js';
import { secretsOf } from '../secrets.js';
import { clientMessage } from './http-errors.js';

export interface Upstream {
  /** The server's OPENAI_BASE_URL, e.g. https://api.openai.com/v1. */
  baseURL: string;
  /** The server's OPENAI_API_KEY; undefined for a server that needs none. */
  apiKey: string | undefined;
  /** TIMEOUT in milliseconds: the longest silence from upstream (before the headers, or between pieces). */
  timeoutMilliseconds: number;
}

export interface UpstreamDependencies {
  upstream: Upstream;
  fetch: typeof fetch;
  requestLog?: RequestLog | undefined;
}

export interface UpstreamRequest {
  endpoint: RequestEndpoint;
  /** Under the base URL: "/chat/completions". */
  path: string;
  method: 'GET' | 'POST';
  /** JSON text, or a form (multipart: fetch writes its boundary). */
  body?: string | FormData;
  contentType?: string;
  model?: string | undefined;
  /** The personal token's name the call is made for, for the request log. */
  token?: string | undefined;
}

/** What the log row needs to know once the answer is read or streamed through. */
export interface CallOutcome {
  errorClass?: string | undefined;
  inputTokens?: unknown;
  outputTokens?: unknown;
  characters?: unknown;
}

/** A call in flight: the upstream response, a re-armable silence timer, and its log row to write once. */
export class UpstreamCall {
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private readonly startedAt = performance.now();
  private readonly at = Date.now();
  private firstByteMs: number | undefined;
  response: Response | undefined;

  constructor(
    private readonly dependencies: UpstreamDependencies,
    private readonly request: UpstreamRequest,
    private readonly controller: AbortController,
  ) {}

  /** Another piece arrived (or the call starts): the silence allowed starts again. */
  keepAlive(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new UpstreamTimeout()), this.dependencies.upstream.timeoutMilliseconds);
  }

  get timedOut(): boolean {
    return this.controller.signal.reason instanceof UpstreamTimeout;
  }

  /** The call is over (read whole, streamed through, failed or abandoned): one log row, once. */
  finish(outcome: CallOutcome = {}): void {
    clearTimeout(this.timer);
    if (this.finished) return;
    this.finished = true;
    this.dependencies.requestLog?.record([
      {
        at: this.at,
        endpoint: this.request.endpoint,
        host: new URL(this.dependencies.upstream.baseURL).host,
        model: this.request.model,
        ...(this.request.token === undefined ? {} : { token: this.request.token }),
        status: this.response?.status,
        errorClass: outcome.errorClass ?? (this.response && !this.response.ok ? `HTTP${this.response.status}` : undefined),
        attempt: 1,
        latencyMs: performance.now() - this.startedAt,
        firstByteMs: this.firstByteMs,
        cached: false,
        requestId: this.response?.headers.get('x-request-id') ?? undefined,
        inputTokens: tokenCount(outcome.inputTokens),
        outputTokens: tokenCount(outcome.outputTokens),
        characters: tokenCount(outcome.characters),
      },
    ]);
  }

  /** Sends the request; resolves with the response headers, or rejects with a GatewayFailure. */
  async send(): Promise<Response> {
    const { upstream, fetch } = this.dependencies;
    this.keepAlive();
    try {
      this.response = await fetch(`${upstream.baseURL.replace(/\/+$/, '')}${this.request.path}`, {
        method: this.request.method,
        headers: {
          accept: 'application/json, text/event-stream',
          ...(this.request.contentType ? { 'content-type': this.request.contentType } : {}),
          ...(upstream.apiKey ? { authorization: `Bearer ${upstream.apiKey}` } : {}),
        },
        ...(this.request.body === undefined ? {} : { body: this.request.body }),
        signal: this.controller.signal,
      });
      this.firstByteMs = performance.now() - this.startedAt;
      this.keepAlive();
      return this.response;
    } catch (error) {
      const failure = this.failure(error);
      this.finish({ errorClass: failure.errorClass });
      throw failure;
    }
  }

  /** What an upstream error message must not repeat to the client: the key, a password in the base URL. */
  get secrets(): string[] {
    return secretsOf({ apiKey: this.dependencies.upstream.apiKey, baseURL: this.dependencies.upstream.baseURL });
  }

  /** Why a call failed, as the client should see it (never with the key or the upstream's address). */
  failure(error: unknown): GatewayFailure {
    if (this.timedOut) return new GatewayFailure(504, `The upstream server was silent for ${this.dependencies.upstream.timeoutMilliseconds / 1000} s.`, 'Timeout');
    if (this.controller.signal.aborted) return new GatewayFailure(499, 'The client went away.', 'Aborted');
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    return new GatewayFailure(502, 'The upstream server could not be reached.', typeof code === 'string' ? code : 'ConnectionError');
  }
}

class UpstreamTimeout extends Error {
  constructor() {
    super('upstream timeout');
  }
}

/** A gateway call that ended without an upstream answer to pass on. */
export class GatewayFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorClass: string,
  ) {
    super(message);
  }
}

/**
 * An upstream error answer, for the client: the same status with our JSON error shape. The
 * upstream's own message is passed on, except for 401/403: those say the SERVER's key was
 * refused (the client's token was fine), so they become a 502, and their message, which may
 * quote part of the key, is not repeated. Any other message has `secrets` (the key) replaced:
 * an upstream may quote the whole request, headers and all.
 */
export async function upstreamErrorBody(response: Response, secrets: readonly string[] = []): Promise<{ status: number; body: { error: { message: string; type: 'upstream'; code?: string } } }> {
  const text = await response.text().catch(() => '');
  if (response.status === 401 || response.status === 403) {
    return { status: 502, body: { error: { message: `The upstream server refused the server's key (${response.status}).`, type: 'upstream' } } };
  }
  let message = `The upstream server answered ${response.status}.`;
  let code: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    if (typeof parsed.error?.message === 'string') message = `The upstream server answered ${response.status}: ${clientMessage(parsed.error.message, secrets).slice(0, 1000)}`;
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
  } catch {
    // Not OpenAI's error shape: the status says enough.
  }
  return { status: response.status, body: { error: { message, type: 'upstream', ...(code === undefined ? {} : { code }) } } };
}
