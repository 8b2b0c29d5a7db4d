/**
 * TIMEOUT bounds every wait on a server, not only the wait for the response headers (which is
 * all the SDK's timeout covers). After the headers, a server that sends nothing, or only SSE
 * comments (`: ping`), would otherwise hold a request forever. Two guards:
 *
 * - idleBoundedFetch: any response body that is not an event stream (a JSON answer, a
 *   transcription, synthesized audio) fails when no byte arrives for TIMEOUT seconds;
 * - withIdleTimeout: a chat event stream fails when no event arrives for TIMEOUT seconds.
 *   Keepalive comments are not events, so they do not count: a server that sends only
 *   keepalives is as stuck as a silent one.
 */
import { abortError } from './chat-model.js';
import { AssistantError } from '../errors.js';
import { hostOf } from './openai-errors.js';

/** The error of a stalled server: names the host and the seconds waited. Logged as "IdleTimeout". */
export function idleTimeoutError(url: string, seconds: number, during: string): AssistantError {
  const error = new AssistantError(`${hostOf(url)} sent nothing for ${seconds} s ${during} (TIMEOUT=${seconds}). Check the server, or raise TIMEOUT (seconds).`);
  return Object.assign(error, { errorClass: 'IdleTimeout' });
}

/**
 * Waits for `pending`, or for `milliseconds` to pass, or for `signal` to abort, whichever
 * comes first. The loser is left behind: its timer and listener are removed, and a pending
 * read that settles later is nobody's business (the caller cancels its stream).
 */
async function firstOf<T>(pending: Promise<T>, milliseconds: number, signal?: AbortSignal): Promise<{ value: T } | 'idle' | 'aborted'> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), milliseconds)));
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    if (signal?.aborted) resolve('aborted');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const winner = await Promise.race([pending.then((value) => ({ value })), idle, aborted]);
    if (typeof winner === 'string') pending.catch(() => {});
    return winner;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Yields what `source` yields, failing with `onIdle()` (after calling `cancel`) when the next
 * item takes longer than `milliseconds`, and with an AbortError (after calling `cancel`) as
 * soon as `signal` aborts: the SDK's stream does not always wake a pending read on abort (when
 * the whole body had already arrived, its next read waited for ever).
 */
export async function* withIdleTimeout<T>(
  source: AsyncIterable<T>,
  milliseconds: number,
  onIdle: () => Error,
  cancel: () => void,
  signal?: AbortSignal,
): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const result = await firstOf(iterator.next(), milliseconds, signal);
    if (typeof result === 'string') {
      cancel();
      throw result === 'aborted' ? abortError() : onIdle();
    }
    if (result.value.done) return;
    yield result.value.value;
  }
}

/** A fetch whose response bodies (other than event streams) fail after `seconds` without a byte. */
export function idleBoundedFetch(inner: typeof fetch, seconds: number): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!response.body || /text\/event-stream/i.test(response.headers.get('content-type') ?? '')) return response;
    const body = boundedBody(response.body, seconds * 1000, () => idleTimeoutError(url, seconds, 'while sending its response'));
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

function boundedBody(body: ReadableStream<Uint8Array>, milliseconds: number, onIdle: () => Error): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const result = await firstOf(reader.read(), milliseconds);
        if (typeof result === 'string') {
          const error = onIdle();
          reader.cancel(error).catch(() => {});
          controller.error(error);
        } else if (result.value.done) {
          controller.close();
        } else {
          controller.enqueue(result.value.value);
        }
      } catch (error) {
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
