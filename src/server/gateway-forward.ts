/**
 * How the gateway passes an upstream answer on: a JSON answer read whole, or any other body
 * (a chat completion's events, speech audio, a transcription in whichever format was asked)
 * passed through piece by piece as it arrives, watched on the way for the log and the cache.
 * Either way, upstream errors and failures leave in the server's JSON error shape, and the
 * client's going away aborts the upstream call.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Principal } from './auth.js';
import { GatewayFailure, UpstreamCall, upstreamErrorBody, type CallOutcome, type UpstreamDependencies, type UpstreamRequest } from './gateway-upstream.js';

export type GatewayContext = Context<{ Variables: { principal: Principal } }>;

/** Looks at a passed-through body as it goes by. */
export interface BodyWatcher {
  observe(chunk: Uint8Array): void;
  /** What the log row says (tokens), once the body ended or was cut. */
  outcome(): CallOutcome;
  /** The body arrived whole. */
  end(): Promise<void>;
  /** The body was cut (the client went away, the upstream failed) after the upstream answered. */
  cut?(): void;
}

const IGNORE: BodyWatcher = { observe: () => {}, outcome: () => ({}), end: async () => {} };

/** Starts a call that the client's going away aborts. */
function startCall(dependencies: UpstreamDependencies, context: GatewayContext, request: UpstreamRequest): UpstreamCall {
  const controller = new AbortController();
  context.req.raw.signal.addEventListener('abort', () => controller.abort(), { once: true });
  // The audit trail: the call is logged under the token's name (never the token).
  return new UpstreamCall(dependencies, { ...request, token: context.get('principal').name }, controller);
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
    const { status, body } = await upstreamErrorBody(response, call.secrets);
    call.finish();
    const retryAfter = response.headers.get('retry-after');
    return { failed: context.json(body, status as ContentfulStatusCode, retryAfter ? { 'retry-after': retryAfter } : {}) };
  } catch (error) {
    if (!(error instanceof GatewayFailure)) throw error;
    return { failed: context.json({ error: { message: error.message, type: 'upstream' } }, error.status as ContentfulStatusCode) };
  }
}

/** A JSON answer, read whole (under the silence timer) and passed on as it came. */
export async function forwardWhole(dependencies: UpstreamDependencies, context: GatewayContext, request: UpstreamRequest, onJson?: (json: unknown) => Promise<void>): Promise<Response> {
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

/** A body passed through piece by piece as it arrives, with its content type; `filter`, when given, changes what the client gets (the watcher sees the upstream's bytes). */
export async function forwardStream(
  dependencies: UpstreamDependencies,
  context: GatewayContext,
  request: UpstreamRequest,
  watcher: BodyWatcher = IGNORE,
  filter?: TransformStream<Uint8Array, Uint8Array>,
): Promise<Response> {
  const call = startCall(dependencies, context, request);
  const sent = await send(call, context);
  if ('failed' in sent) return sent.failed;
  const finish = (errorClass?: string): void => {
    if (errorClass !== undefined) watcher.cut?.();
    call.finish({ ...watcher.outcome(), errorClass });
  };
  // The client went away: the upstream call is aborted (startCall), and the row says so.
  context.req.raw.signal.addEventListener('abort', () => finish('Aborted'), { once: true });
  const watched = sent.answer.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        call.keepAlive();
        watcher.observe(chunk);
        controller.enqueue(chunk);
      },
      async flush() {
        finish();
        await watcher.end();
      },
    }),
  );
  const passed = filter ? watched.pipeThrough(filter) : watched;
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
  return new Response(relay, { status: 200, headers: { ...passedHeaders(sent.answer), 'content-type': sent.answer.headers.get('content-type') ?? 'application/octet-stream', 'cache-control': 'no-cache' } });
}

/** The upstream's request id, for the client's own bug reports; nothing else of the upstream's headers. */
function passedHeaders(response: Response): Record<string, string> {
  const requestId = response.headers.get('x-request-id');
  return requestId ? { 'x-request-id': requestId } : {};
}
