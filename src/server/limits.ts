/**
 * Per-token limits for everything under /v1, checked after the token and before any upstream
 * call: requests per minute and tokens per day (the token's own limits, counted in the store so
 * they hold across replicas), and a bound on a token's concurrent model calls in this process.
 * A refusal is a 429 with `Retry-After` and the one JSON error shape.
 */
import type { MiddlewareHandler } from 'hono';
import type { ChatModel } from '../chat/chat-model.js';
import type { TokenUsageStore } from '../store/store.js';
import type { Principal } from './auth.js';
import { HttpError } from './http-errors.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Concurrent model calls one token may have in flight in one process (per replica, not in total). */
export const DEFAULT_CONCURRENT_CALLS_PER_TOKEN = 4;

export interface LimitDependencies {
  usage: TokenUsageStore;
  /** ms since the epoch; windows are UTC minutes and UTC days. */
  now: () => number;
  /** Default DEFAULT_CONCURRENT_CALLS_PER_TOKEN. */
  concurrentCallsPerToken?: number | undefined;
  /** Told which limit refused a request (for /metrics). */
  onRefused?: ((limit: 'requests_per_minute' | 'tokens_per_day' | 'concurrency') => void) | undefined;
}

export function enforceLimits(dependencies: LimitDependencies): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  const bound = dependencies.concurrentCallsPerToken ?? DEFAULT_CONCURRENT_CALLS_PER_TOKEN;
  const inFlight = new Map<string, number>();
  const release = (tokenId: string): void => {
    const left = (inFlight.get(tokenId) ?? 1) - 1;
    if (left > 0) inFlight.set(tokenId, left);
    else inFlight.delete(tokenId);
  };

  return async (context, next) => {
    const principal = context.get('principal');
    const { tokenId } = principal;
    // Only a POST calls the model (ask, talk, the gateway); reading or deleting sessions does not.
    const callsModel = context.req.method === 'POST';
    if (callsModel) {
      // Taken before any await, so requests arriving together cannot all pass the check.
      const busy = inFlight.get(tokenId) ?? 0;
      if (busy >= bound) dependencies.onRefused?.('concurrency');
      if (busy >= bound) throw new HttpError(429, `This token has ${busy} requests in progress already (at most ${bound} at once); retry when one ends.`, 'rate_limit', undefined, { 'Retry-After': '1' });
      inFlight.set(tokenId, busy + 1);
    }
    let released = !callsModel;
    const releaseOnce = (): void => {
      if (released) return;
      released = true;
      release(tokenId);
    };
    try {
      await checkQuotas(dependencies, principal, callsModel);
      await next();
    } catch (error) {
      releaseOnce();
      throw error;
    }
    const body = context.res.body;
    // A streamed answer is still calling the model when the handler returns: hold the slot until the stream ends.
    if (released || body === null || !(context.res.headers.get('content-type') ?? '').includes('text/event-stream')) releaseOnce();
    else context.res = new Response(releasingWhenDone(body, releaseOnce), context.res);
  };
}

async function checkQuotas(dependencies: LimitDependencies, principal: Principal, callsModel: boolean): Promise<void> {
  const now = dependencies.now();
  const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
  // Checked before the request is counted, so a request refused for the day does not use up the minute.
  if (callsModel && principal.tokensPerDay !== undefined) {
    const used = await dependencies.usage.tokensUsed(principal.tokenId, dayStart);
    if (used >= principal.tokensPerDay) {
      dependencies.onRefused?.('tokens_per_day');
      throw tooMany(`This token used ${used} of its ${principal.tokensPerDay} tokens today (UTC).`, dayStart + DAY_MS - now);
    }
  }
  if (principal.requestsPerMinute !== undefined) {
    const minuteStart = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (!(await dependencies.usage.countRequest(principal.tokenId, minuteStart, principal.requestsPerMinute))) {
      dependencies.onRefused?.('requests_per_minute');
      throw tooMany(`This token is over its limit of ${principal.requestsPerMinute} requests per minute.`, minuteStart + MINUTE_MS - now);
    }
  }
}

function tooMany(why: string, waitMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new HttpError(429, `${why} Retry in ${seconds} s.`, 'rate_limit', undefined, { 'Retry-After': String(seconds) });
}

/** The same bytes; `done` runs once the stream ends, fails or the client cancels it. */
function releasingWhenDone(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: ended } = await reader.read();
        if (ended) {
          done();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  });
}

/**
 * The server's ChatModel, charging the prompt and completion tokens of each answer to the
 * token it was asked for (today's UTC day), which the turn passes with every call in its trace.
 * Cached answers never reach it, so they cost nothing.
 */
export function meteredChatModel(chatModel: ChatModel, dependencies: Pick<LimitDependencies, 'usage' | 'now'>): ChatModel {
  return {
    baseURL: chatModel.baseURL,
    async *generate(request, options) {
      const tokenId = options.trace?.token?.id;
      for await (const event of chatModel.generate(request, options)) {
        if (event.type === 'finish' && event.usage && tokenId !== undefined) {
          const dayStart = Math.floor(dependencies.now() / DAY_MS) * DAY_MS;
          await dependencies.usage.addTokens(tokenId, dayStart, event.usage.promptTokens + event.usage.completionTokens);
        }
        yield event;
      }
    },
  };
}
