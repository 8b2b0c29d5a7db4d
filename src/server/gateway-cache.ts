/**
 * The gateway's use of the shared response cache: which chat completions may be served from
 * it (deterministic ones: temperature 0, no tools, one choice), what a request's key is,
 * what an answer reads as once it went through (a JSON body, or the pieces of a stream
 * watched as they pass), and an answer from the cache written back as OpenAI's JSON or as a
 * synthesized server-sent event stream.
 */
import type { CacheValue, ResponseCache } from '../cache/response-cache.js';
import type { CacheEntry } from '../store/store.js';

/** A chat completion request as the gateway validated it; unknown OpenAI fields ride along. */
export interface ChatCompletionBody {
  model: string;
  messages: unknown[];
  stream?: boolean | undefined;
  stream_options?: { include_usage?: boolean } | undefined;
  temperature?: number | undefined;
  tools?: unknown;
  functions?: unknown;
  n?: number | undefined;
  [field: string]: unknown;
}

/** The answer of a completed call, as the cache keeps it. */
export interface CachedAnswer {
  model: string;
  text: string;
  finishReason: string;
  usage: { promptTokens?: number | undefined; completionTokens?: number | undefined };
}

/** Only a request whose answer is meant to be the same every time; "never" in the server's settings turns it off. */
export function isCacheable(body: ChatCompletionBody, cacheAnswers: 'auto' | 'always' | 'never'): boolean {
  return cacheAnswers !== 'never' && body.temperature === 0 && body.tools === undefined && body.functions === undefined && (body.n ?? 1) === 1;
}

/** Streaming or not, the same question has the same answer: the stream fields are not part of the key. */
export function gatewayCacheKey(cache: ResponseCache, body: ChatCompletionBody): string {
  const { stream: _stream, stream_options: _streamOptions, ...request } = body;
  return cache.key('chat', { gateway: 'chat.completions', request });
}

export function cacheValue(answer: CachedAnswer): CacheValue {
  return { model: answer.model, text: answer.text, metadata: { finishReason: answer.finishReason, usage: answer.usage } };
}

/** A plain text answer from a non-streaming response body; undefined when it is anything else (tool calls, several choices). */
export function answerFromJson(body: unknown): CachedAnswer | undefined {
  const completion = body as { model?: unknown; choices?: Array<{ message?: { content?: unknown; tool_calls?: unknown }; finish_reason?: unknown }>; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
  const choice = completion.choices?.length === 1 ? completion.choices[0] : undefined;
  if (!choice || typeof choice.message?.content !== 'string' || choice.message.tool_calls !== undefined || typeof completion.model !== 'string') return undefined;
  return { model: completion.model, text: choice.message.content, finishReason: String(choice.finish_reason ?? 'stop'), usage: usageOf(completion.usage) };
}

/** Watches a chat completion stream go by (bytes untouched) and reads its answer. */
export class StreamWatcher {
  private buffered = '';
  private readonly decoder = new TextDecoder();
  private received = '';
  private model: string | undefined;
  private finishReason: string | undefined;
  private plain = true;
  private done = false;
  usage: CachedAnswer['usage'] = {};

  observe(chunk: Uint8Array): void {
    this.buffered += this.decoder.decode(chunk, { stream: true });
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop() ?? '';
    for (const line of lines) this.line(line.trimEnd());
  }

  /** The text of the answer so far (all of it once the stream ended). */
  get text(): string {
    return this.received;
  }

  /** The whole answer, when the stream ended with [DONE] and was plain text in one choice. */
  get answer(): CachedAnswer | undefined {
    if (!this.done || !this.plain || this.model === undefined || this.finishReason === undefined) return undefined;
    return { model: this.model, text: this.received, finishReason: this.finishReason, usage: this.usage };
  }

  private line(line: string): void {
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trim();
    if (data === '[DONE]') return void (this.done = true);
    let chunk: { model?: unknown; choices?: Array<{ index?: unknown; delta?: { content?: unknown; tool_calls?: unknown }; finish_reason?: unknown }>; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null };
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      this.plain = false;
      return;
    }
    if (typeof chunk.model === 'string') this.model = chunk.model;
    if (chunk.usage) this.usage = usageOf(chunk.usage);
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== 0 || choice.delta?.tool_calls !== undefined) this.plain = false;
      if (typeof choice.delta?.content === 'string') this.received += choice.delta.content;
      if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    }
  }
}

/** A cache entry read back as the answer it was. */
export function answerFromEntry(entry: CacheEntry): CachedAnswer {
  const metadata = entry.metadata as { finishReason?: unknown; usage?: CachedAnswer['usage'] } | undefined;
  return { model: entry.model, text: entry.text ?? '', finishReason: typeof metadata?.finishReason === 'string' ? metadata.finishReason : 'stop', usage: metadata?.usage ?? {} };
}

/** The cached answer as OpenAI's chat.completion JSON. */
export function completionJson(answer: CachedAnswer, id: string, created: number): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created,
    model: answer.model,
    choices: [{ index: 0, message: { role: 'assistant', content: answer.text, refusal: null }, logprobs: null, finish_reason: answer.finishReason }],
    usage: usageJson(answer.usage),
  };
}

/** The cached answer as the server-sent events of a streamed completion, ending with [DONE]. */
export function completionEvents(answer: CachedAnswer, id: string, created: number, includeUsage: boolean): string {
  const chunk = (delta: object, finishReason: string | null): object => ({ id, object: 'chat.completion.chunk', created, model: answer.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  const events: object[] = [chunk({ role: 'assistant', content: '' }, null), chunk({ content: answer.text }, null), chunk({}, answer.finishReason)];
  if (includeUsage) events.push({ id, object: 'chat.completion.chunk', created, model: answer.model, choices: [], usage: usageJson(answer.usage) });
  return `${events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('')}data: [DONE]\n\n`;
}

/** Usage as an OpenAI body carries it (fields unchecked). */
export interface UsageJson {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
}

/** The counts of a body's usage that are numbers. */
export function usageOf(usage: UsageJson | undefined): CachedAnswer['usage'] {
  return {
    promptTokens: typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : undefined,
    completionTokens: typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : undefined,
  };
}

function usageJson(usage: CachedAnswer['usage']): Record<string, number> {
  const prompt = usage.promptTokens ?? 0;
  const completion = usage.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
