/** ChatModel over the OpenAI chat completions API (and every server that speaks it). */
import type { Stream } from 'openai/core/streaming';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { AssistantError } from '../errors.js';
import type { TokenUsage } from '../store/store.js';
import { type ChatEvent, type ChatModel, type ChatRequest, isAbortError } from './chat-model.js';
import { idleTimeoutError, withIdleTimeout } from './idle-timeout.js';
import { checkConnection, loadOpenAI, type LoadedOpenAI, type OpenAIConnection } from './openai-client.js';
import { hostOf, translateOpenAIError, type ErrorContext } from './openai-errors.js';
import { CallTrace, errorClassOf, tokenCount, type TraceContext } from '../observability/request-log.js';

export class OpenAIChatModel implements ChatModel {
  private loaded: Promise<LoadedOpenAI> | undefined;

  constructor(private readonly connection: OpenAIConnection) {
    checkConnection(connection);
  }

  get baseURL(): string {
    return this.connection.baseURL;
  }

  async *generate(request: ChatRequest, { signal, trace }: { signal?: AbortSignal; trace?: TraceContext }): AsyncIterable<ChatEvent> {
    this.loaded ??= loadOpenAI(this.connection);
    const { sdk, client } = await this.loaded;
    const context = { ...this.connection, model: request.model };
    const call = new CallTrace(this.connection.requestLog, { endpoint: 'chat', host: hostOf(this.baseURL), model: request.model, ...trace }, signal);
    try {
      yield* this.events(sdk, client, request, context, call, signal);
    } catch (error) {
      call.finish({ errorClass: errorClassOf(error) });
      throw error;
    }
  }

  private async *events(
    sdk: LoadedOpenAI['sdk'],
    client: LoadedOpenAI['client'],
    request: ChatRequest,
    context: ErrorContext,
    call: CallTrace,
    signal: AbortSignal | undefined,
  ): AsyncIterable<ChatEvent> {
    const host = hostOf(this.baseURL);
    const body = {
      model: request.model,
      messages: request.messages,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };

    if (!request.stream) {
      let data: ChatCompletion;
      let requestId: string | null | undefined;
      try {
        ({ data, request_id: requestId } = await call.run(() => client.chat.completions.create({ ...body, stream: false }, signal ? { signal } : {}).withResponse()));
      } catch (error) {
        throw translateOpenAIError(sdk, error, context);
      }
      const choice = data.choices?.[0];
      const message = choice?.message as (ChatCompletion.Choice['message'] & ReasoningFields) | undefined;
      const text = typeof message?.content === 'string' ? message.content : '';
      const usage = usageOf(data.usage);
      const tokens = { inputTokens: data.usage?.prompt_tokens, outputTokens: data.usage?.completion_tokens };
      const empty = emptyAnswerError(host, text, {
        finishReason: choice?.finish_reason ?? undefined,
        toolCalls: (message?.tool_calls?.length ?? 0) > 0 || message?.function_call != null,
        reasoning: hasText(message?.reasoning_content) || hasText(message?.reasoning),
        contentNull: message?.content === null || message?.content === undefined,
      });
      if (empty) {
        call.finish({ ...tokens, errorClass: 'EmptyAnswer' });
        throw empty;
      }
      call.finish({ ...tokens, firstTokenAt: performance.now() });
      yield { type: 'text', text };
      yield { type: 'finish', model: data.model, usage, finishReason: choice?.finish_reason ?? undefined, requestId: requestId ?? undefined };
      return;
    }

    let stream: Stream<ChatCompletionChunk>;
    let requestId: string | undefined;
    try {
      const response = await call.run(() =>
        client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, signal ? { signal } : {}).withResponse(),
      );
      stream = response.data;
      requestId = response.request_id ?? undefined;
    } catch (error) {
      throw translateOpenAIError(sdk, error, context);
    }

    let model = request.model;
    let usage: TokenUsage | undefined;
    let rawUsage: CompletionUsage | undefined;
    let finishReason: string | undefined;
    let firstTokenAt: number | undefined;
    // Leading whitespace waits for the first visible text, so a blank answer prints nothing.
    let pendingSpace = '';
    let visible = false;
    const seen = { toolCalls: false, reasoning: false, contentNull: true };
    const seconds = this.connection.timeoutSeconds;
    const chunks = withIdleTimeout(stream, seconds * 1000, () => idleTimeoutError(this.baseURL, seconds, 'in the middle of the answer'), () => stream.controller.abort(), signal);
    try {
      for await (const chunk of chunks) {
        if (chunk.model) model = chunk.model;
        if (chunk.usage) rawUsage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const delta = choice?.delta as (ChatCompletionChunk.Choice['delta'] & ReasoningFields) | undefined;
        if ((delta?.tool_calls?.length ?? 0) > 0 || delta?.function_call != null) seen.toolCalls = true;
        if (hasText(delta?.reasoning_content) || hasText(delta?.reasoning)) seen.reasoning = true;
        const text = delta?.content;
        if (typeof text === 'string') seen.contentNull = false;
        if (!text) continue;
        if (!visible && text.trim() === '') {
          pendingSpace += text;
          continue;
        }
        visible = true;
        firstTokenAt ??= performance.now();
        yield { type: 'text', text: pendingSpace + text };
        pendingSpace = '';
      }
    } catch (error) {
      if (error instanceof AssistantError) throw error;
      if (isAbortError(error) || error instanceof sdk.APIUserAbortError || signal?.aborted) throw translateOpenAIError(sdk, error, context);
      if ((error instanceof sdk.APIError && error.status !== undefined) || error instanceof SyntaxError) throw translateOpenAIError(sdk, error, context);
      const reason = error instanceof Error ? error.message : String(error);
      throw Object.assign(new AssistantError(`The connection to ${host} was lost mid-answer (${reason}).`, { cause: error }), { errorClass: 'StreamCut' });
    }
    if (signal?.aborted) throw translateOpenAIError(sdk, signal.reason, context);
    if (finishReason === undefined) {
      throw Object.assign(new AssistantError(`The answer from ${host} ended before it was finished (the stream closed without a finish reason).`), { errorClass: 'StreamCut' });
    }
    usage = usageOf(rawUsage);
    const tokens = { inputTokens: rawUsage?.prompt_tokens, outputTokens: rawUsage?.completion_tokens };
    const empty = visible ? undefined : emptyAnswerError(host, pendingSpace, { finishReason, ...seen });
    if (empty) {
      call.finish({ ...tokens, errorClass: 'EmptyAnswer' });
      throw empty;
    }
    call.finish({ ...tokens, firstTokenAt });
    yield { type: 'finish', model, usage, finishReason, requestId };
  }
}

/** Fields some servers add (DeepSeek, vLLM, Ollama's OpenAI API): the model's reasoning, apart from its answer. */
interface ReasoningFields {
  reasoning_content?: unknown;
  reasoning?: unknown;
}

function hasText(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * An answer with no visible text is a failure, never a silent success: it is not cached and
 * `ask` exits 1. The error says what came back instead.
 */
function emptyAnswerError(
  host: string,
  text: string,
  seen: { finishReason: string | undefined; toolCalls: boolean; reasoning: boolean; contentNull: boolean },
): AssistantError | undefined {
  if (text.trim() !== '') return undefined;
  const finish = `finish_reason ${seen.finishReason === undefined ? 'missing' : JSON.stringify(seen.finishReason)}`;
  const what = seen.toolCalls
    ? 'tool calls only, no text (assistant does not call tools)'
    : seen.reasoning
      ? 'reasoning only, no answer'
      : seen.contentNull
        ? 'no answer (content: null)'
        : text === ''
          ? 'an empty answer'
          : 'a blank answer (whitespace only)';
  const advice = seen.finishReason === 'length' ? ' The output limit was reached before any answer: try a shorter question or another model.' : ' Try again, or another model.';
  return Object.assign(new AssistantError(`${host} sent ${what} (${finish}).${advice}`), { errorClass: 'EmptyAnswer' });
}

/** Token counts a server reported, if both are believable (see tokenCount); otherwise none are stored. */
function usageOf(usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined): TokenUsage | undefined {
  const promptTokens = tokenCount(usage?.prompt_tokens);
  const completionTokens = tokenCount(usage?.completion_tokens);
  return promptTokens === undefined || completionTokens === undefined ? undefined : { promptTokens, completionTokens };
}
