/**
 * The waits between retries, bounded and interruptible. The SDK stays the one retry layer: it
 * decides whether to retry and counts the retries. But its wait is a plain timer that ignores
 * the abort signal (openai-node 6.x, fixed only in 7.x, which needs Node 22: openai/openai-node#2580),
 * and it honours any `retry-after`, even an hour. So this fetch wrapper looks at each response
 * the SDK is about to retry:
 *
 * - the server asks for more than `maxRetryWaitSeconds`: the response is marked
 *   `x-should-retry: false`, so the SDK fails at once (translateOpenAIError says how long the
 *   server asked to wait);
 * - otherwise the wait (the server's, or the SDK's own backoff) happens here, where the caller's
 *   signal can end it, and the SDK is told to retry with no further wait (`retry-after-ms: 0`).
 *
 * A retry after a lost connection (no response at all) still waits in the SDK: at most 8 s.
 */
import { abortError } from './chat-model.js';

/** Default for ASSISTANT_MAX_RETRY_WAIT: the longest retry-after honoured, in seconds. */
export const DEFAULT_MAX_RETRY_WAIT_SECONDS = 60;

export interface RetryWaitOptions {
  /** The SDK's maxRetries: no wait after the last attempt. */
  maxRetries: number;
  maxRetryWaitSeconds: number;
  /** The caller's signal for the request being made (the user's Ctrl-C). */
  signal: () => AbortSignal | undefined;
  sleep?: (milliseconds: number, signal: AbortSignal | undefined) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export function waitForRetriesHere(inner: typeof fetch, options: RetryWaitOptions): typeof fetch {
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  return async (input, init) => {
    const response = await inner(input, init);
    if (!sdkWouldRetry(response)) return response;
    const asked = requestedWaitMilliseconds(response.headers, now());
    if (asked !== undefined && asked > options.maxRetryWaitSeconds * 1000) {
      return withHeaders(response, response.body, { 'x-should-retry': 'false' });
    }
    const retryCount = Number(new Headers(init?.headers).get('x-stainless-retry-count') ?? 0);
    if (!(retryCount < options.maxRetries)) return response;
    // The SDK's own backoff: 0.5 s doubling per retry, at most 8 s, minus up to 25% jitter.
    const wait = asked ?? Math.min(0.5 * 2 ** retryCount, 8) * (1 - random() * 0.25) * 1000;
    // The SDK discards the body of a response it retries; so do we, before waiting.
    await response.body?.cancel().catch(() => {});
    await sleep(Math.max(0, wait), options.signal());
    return withHeaders(response, null, { 'retry-after-ms': '0', 'retry-after': undefined });
  };
}

/** What the SDK retries (openai-node 6.x shouldRetry): the server's x-should-retry, else 408, 409, 429, 5xx. */
function sdkWouldRetry(response: Response): boolean {
  if (response.ok) return false;
  const told = response.headers.get('x-should-retry');
  if (told === 'true') return true;
  if (told === 'false') return false;
  return response.status === 408 || response.status === 409 || response.status === 429 || response.status >= 500;
}

/** The wait a response asks for, as the SDK reads it: retry-after-ms, else retry-after in seconds or as a date. */
export function requestedWaitMilliseconds(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const milliseconds = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (!Number.isNaN(milliseconds) && milliseconds !== 0) return milliseconds;
  const retryAfter = headers?.get('retry-after');
  if (!retryAfter) return milliseconds === 0 ? 0 : undefined;
  const seconds = Number.parseFloat(retryAfter);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : date - now;
}

function withHeaders(response: Response, body: ReadableStream<Uint8Array> | null, changes: Record<string, string | undefined>): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) headers.delete(name);
    else headers.set(name, value);
  }
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

function abortableSleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const stop = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, milliseconds);
    signal?.addEventListener('abort', stop, { once: true });
  });
}
