/**
 * The OpenAI-compatible gateway: /v1/models forwarded upstream with the server's key, so any
 * OpenAI SDK (and `assistant` itself, with OPENAI_BASE_URL pointed here and a personal token
 * as its key) works through the server. The token was checked before (auth.ts).
 */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ResponseCache } from '../cache/response-cache.js';
import type { Principal } from './auth.js';
import { GatewayFailure, UpstreamCall, upstreamErrorBody, type UpstreamDependencies, type UpstreamRequest } from './gateway-upstream.js';

export interface GatewayDependencies extends UpstreamDependencies {
  cache: ResponseCache;
}

export interface GatewaySettings {
  cacheAnswers: 'auto' | 'always' | 'never';
}

type GatewayContext = Context<{ Variables: { principal: Principal } }>;

export function gatewayRoutes(dependencies: GatewayDependencies, _settings: GatewaySettings): Hono<{ Variables: { principal: Principal } }> {
  const routes = new Hono<{ Variables: { principal: Principal } }>();
  routes.get('/models', (context) => forwardWhole(dependencies, context, { endpoint: 'models', path: '/models', method: 'GET' }));
  return routes;
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
async function forwardWhole(dependencies: UpstreamDependencies, context: GatewayContext, request: UpstreamRequest): Promise<Response> {
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

/** The upstream's request id, for the client's own bug reports; nothing else of the upstream's headers. */
function passedHeaders(response: Response): Record<string, string> {
  const requestId = response.headers.get('x-request-id');
  return requestId ? { 'x-request-id': requestId } : {};
}
