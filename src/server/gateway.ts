/**
 * The OpenAI-compatible gateway: /v1/models, /v1/chat/completions and the audio routes
 * (gateway-audio.ts) forwarded upstream with the server's key, so any OpenAI SDK (and
 * `assistant` itself, with OPENAI_BASE_URL pointed here and a personal token as its key)
 * works through the server. A streamed answer passes
 * through piece by piece as it arrives; a deterministic request is answered from the shared
 * cache when it can be, without an upstream call. The token was checked before (auth.ts).
 */
import { Hono } from 'hono';
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
  usageOf,
  type ChatCompletionBody,
  type UsageJson,
} from './gateway-cache.js';
import { addAudioRoutes } from './gateway-audio.js';
import { forwardStream, forwardWhole, type GatewayContext } from './gateway-forward.js';
import type { UpstreamDependencies, UpstreamRequest } from './gateway-upstream.js';
import { dropUsageEvents, tokensToCharge, withUsageReported, type ReportedUsage } from './gateway-usage.js';
import { HttpError } from './http-errors.js';
import type { ChargeTokens } from './limits.js';
import { jsonBody, MODEL_NAME, parseBody } from './schemas.js';

export interface GatewayDependencies extends UpstreamDependencies {
  cache: ResponseCache;
  /** Charges a completion's tokens to the token's day (limits.ts); left out, nothing is charged. */
  charge?: ChargeTokens | undefined;
}

export interface GatewaySettings {
  cacheAnswers: 'auto' | 'always' | 'never';
}

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
  addAudioRoutes(routes, dependencies);
  return routes;
}

async function chatCompletions(dependencies: GatewayDependencies, settings: GatewaySettings, context: GatewayContext): Promise<Response> {
  const body = parseBody(chatCompletionRequest, await jsonBody(context.req)) as ChatCompletionBody;
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
  const request: UpstreamRequest = { endpoint: 'chat', path: '/chat/completions', method: 'POST', body: JSON.stringify(withUsageReported(body)), contentType: 'application/json', model: body.model };
  const remember = async (answer: ReturnType<typeof answerFromJson>): Promise<void> => {
    if (key !== undefined && answer) await dependencies.cache.put('chat', key, cacheValue(answer));
  };
  // Charged once per upstream answer, like an answer of /v1/ask (a cache hit above costs nothing).
  const tokenId = context.get('principal').tokenId;
  let charged = false;
  const charge = async (usage: ReportedUsage | undefined, answerText: string): Promise<void> => {
    if (charged || !dependencies.charge) return;
    charged = true;
    await dependencies.charge(tokenId, tokensToCharge(usage, body, answerText));
  };
  if (!body.stream) {
    return forwardWhole(dependencies, context, request, async (json) => {
      const answer = answerFromJson(json);
      await charge(usageOf((json as { usage?: UsageJson | null }).usage ?? undefined), answer?.text ?? textOfJson(json));
      await remember(answer);
    });
  }
  const watcher = new StreamWatcher();
  return forwardStream(
    dependencies,
    context,
    request,
    {
      observe: (chunk) => watcher.observe(chunk),
      outcome: () => ({ inputTokens: watcher.usage.promptTokens, outputTokens: watcher.usage.completionTokens }),
      end: async () => {
        await charge(watcher.usage, watcher.text);
        await remember(watcher.answer);
      },
      // Cut short: what arrived is charged (the store's error is the log's business, not the client's).
      cut: () => void charge(watcher.usage, watcher.text).catch(() => {}),
    },
    // The client that did not ask for usage does not get the usage event asked for on its behalf.
    body.stream_options?.include_usage === true ? undefined : dropUsageEvents(),
  );
}

/** The text of every choice of a whole answer, for an estimate when the upstream reported no usage. */
function textOfJson(json: unknown): string {
  const choices = (json as { choices?: Array<{ message?: { content?: unknown } }> }).choices ?? [];
  return choices.map((choice) => (typeof choice.message?.content === 'string' ? choice.message.content : JSON.stringify(choice.message ?? ''))).join('');
}
