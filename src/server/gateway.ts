/**
 * The OpenAI-compatible gateway: /v1/models and /v1/chat/completions forwarded upstream with
 * the server's key, so any OpenAI SDK (and `assistant` itself, with OPENAI_BASE_URL pointed
 * here and a personal token as its key) works through the server. A streamed answer passes
 * through piece by piece as it arrives; a deterministic request is answered from the shared
 * cache when it can be, without an upstream call. The token was checked before (auth.ts).
 */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { ResponseCache } from '../cache/response-cache.js';
import type { Principal } from './auth.js';
import {
  answerFromEntry,
  answerFromJson,
  cacheValue,
  completionEvents,
  completionJson,
  gatewayCacheKey,
  isCacheable,
  StreamWatcher,
  type ChatCompletionBody,
} from './gateway-cache.js';
import { GatewayFailure, UpstreamCall, upstreamErrorBody, type UpstreamDependencies, type UpstreamRequest } from './gateway-upstream.js';
import { HttpError } from './http-errors.js';
import { MODEL_NAME, parseBody } from './schemas.js';

export interface GatewayDependencies extends UpstreamDependencies {
  cache: ResponseCache;
}

export interface GatewaySettings {
  cacheAnswers: 'auto' | 'always' | 'never';
}

type GatewayContext = Context<{ Variables: { principal: Principal } }>;

/** Enough to be safe (a model name we can log, a bounded list of messages); every other OpenAI field passes through. */
export const chatCompletionRequest = z.looseObject({
  model: z.string().regex(MODEL_NAME, 'is not a model name'),
  messages: z
    .array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']), content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional() }))
    .min(1, 'is empty')
    .max(10_000),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
});

export function gatewayRoutes(dependencies: GatewayDependencies, settings: GatewaySettings): Hono<{ Variables: { principal: Principal } }> {
  const routes = new Hono<{ Variables: { principal: Principal } }>();
  routes.get('/models', (context) => forwardWhole(dependencies, context, { endpoint: 'models', path: '/models', method: 'GET' }));
  routes.post('/chat/completions', (context) => chatCompletions(dependencies, settings, context));
  return routes;
}

async function chatCompletions(dependencies: GatewayDependencies, settings: GatewaySettings, context: GatewayContext): Promise<Response> {
  const body = parseBody(chatCompletionRequest, await context.req.json().catch(() => {
    throw new HttpError(400, 'The body is not JSON.', 'invalid_request');
  })) as ChatCompletionBody;
  const cacheable = isCacheable(body, settings.cacheAnswers);
  const key = cacheable ? gatewayCacheKey(dependencies.cache, body) : undefined;
  if (key !== undefined) {
    const hit = await dependencies.cache.get(key, { host: new URL(dependencies.upstream.baseURL).host });
    if (hit) {
      const answer = answerFromEntry(hit);
      const id = `chatcmpl-cached-${key.slice(0, 24)}`;
      const created = Math.floor(Date.now() / 1000);
      const headers = { 'x-assistant-cache': 'hit' };
      if (!body.stream) return context.json(completionJson(answer, id, created), 200, headers);
      return new Response(completionEvents(answer, id, created, body.stream_options?.include_usage === true), { headers: { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
    }
  }
  const request: UpstreamRequest = { endpoint: 'chat', path: '/chat/completions', method: 'POST', body: JSON.stringify(body), contentType: 'application/json', model: body.model };
  const remember = async (answer: ReturnType<typeof answerFromJson>): Promise<void> => {
    if (key !== undefined && answer) await dependencies.cache.put('chat', key, cacheValue(answer)).catch(() => {});
  };
  if (!body.stream) return forwardWhole(dependencies, context, request, (json) => remember(answerFromJson(json)));
  return forwardStream(dependencies, context, request, remember);
}

/** Starts a call that the client's going away aborts. */
function startCall(dependencies: UpstreamDependencies, context: GatewayContext, request: UpstreamRequest): UpstreamCall {
  const controller = new AbortController();
  context.req.raw.signal.addEventListener('abort', () => controller.abort(), { once: true });
  return new UpstreamCall(dependencies, request, controller);
}

/**
 * Sends the request: the upstream's answer, or the failure answered in the JSON error shape.
 * (Not told apart with instanceof: @hono/node-server replaces the global Response, which
 * fetch's responses are then not instances of.)
 */
async function send(call: UpstreamCall, context: GatewayContext): Promise<{ answer: Response } | { failed: Response }> {
  try {
    const response = await call.send();
    if (response.ok) return { answer: response };
    const { status, body } = await upstreamErrorBody(response);
    call.finish();
    const retryAfter = response.headers.get('retry-after');
    return { failed: context.json(body, status as ContentfulStatusCode, retryAfter ? { 'retry-after': retryAfter } : {}) };
  } catch (error) {
    if (!(error instanceof GatewayFailure)) throw error;
    return { failed: context.json({ error: { message: error.message, type: 'upstream' } }, error.status as ContentfulStatusCode) };
  }
}

/** A JSON answer, read whole (under the silence timer) and passed on as it came. */
async function forwardWhole(dependencies: UpstreamDependencies, context: GatewayContext, request: UpstreamRequest, onJson?: (json: unknown) => Promise<void>): Promise<Response> {
  const call = startCall(dependencies, context, request);
  const sent = await send(call, context);
  if ('failed' in sent) return sent.failed;
  let text: string;
  try {
    text = await readWhole(sent.answer, call);
  } catch (error) {
    const failure = call.failure(error);
    call.finish({ errorClass: failure.errorClass });
    return context.json({ error: { message: failure.message, type: 'upstream' } }, failure.status as ContentfulStatusCode);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    call.finish({ errorClass: 'MalformedResponse' });
    return context.json({ error: { message: 'The upstream server answered with something that is not JSON.', type: 'upstream' } }, 502);
  }
  const usage = (json as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }).usage;
  call.finish({ inputTokens: usage?.prompt_tokens, outputTokens: usage?.completion_tokens });
  await onJson?.(json);
  return context.json(json as object, 200, passedHeaders(sent.answer));
}

async function readWhole(response: Response, call: UpstreamCall): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of response.body ?? []) {
    call.keepAlive();
    text += decoder.decode(chunk as Uint8Array, { stream: true });
  }
  return text + decoder.decode();
}

/** A streamed answer, passed through piece by piece as it arrives, watched on the way for the log and the cache. */
async function forwardStream(dependencies: UpstreamDependencies, context: GatewayContext, request: UpstreamRequest, onAnswer: (answer: StreamWatcher['answer']) => Promise<void>): Promise<Response> {
  const call = startCall(dependencies, context, request);
  const sent = await send(call, context);
  if ('failed' in sent) return sent.failed;
  const watcher = new StreamWatcher();
  const finish = (errorClass?: string): void => call.finish({ errorClass, inputTokens: watcher.usage.promptTokens, outputTokens: watcher.usage.completionTokens });
  // The client went away: the upstream call is aborted (startCall), and the row says so.
  context.req.raw.signal.addEventListener('abort', () => finish('Aborted'), { once: true });
  const passed = sent.answer.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        call.keepAlive();
        watcher.observe(chunk);
        controller.enqueue(chunk);
      },
      async flush() {
        finish();
        await onAnswer(watcher.answer);
      },
    }),
  );
  const reader = passed.getReader();
  const relay = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        finish(call.failure(error).errorClass);
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish('Aborted');
      await reader.cancel(reason);
    },
  });
  return new Response(relay, { status: 200, headers: { ...passedHeaders(sent.answer), 'content-type': sent.answer.headers.get('content-type') ?? 'text/event-stream', 'cache-control': 'no-cache' } });
}

/** The upstream's request id, for the client's own bug reports; nothing else of the upstream's headers. */
function passedHeaders(response: Response): Record<string, string> {
  const requestId = response.headers.get('x-request-id');
  return requestId ? { 'x-request-id': requestId } : {};
}
