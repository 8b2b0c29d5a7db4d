/** ChatModel over the OpenAI chat completions API (and every server that speaks it). */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { AssistantError } from '../errors.js';
import type { TokenUsage } from '../store/store.js';
import { type ChatEvent, type ChatModel, type ChatRequest, isAbortError } from './chat-model.js';
import { checkConnection, loadOpenAI, type LoadedOpenAI, type OpenAIConnection } from './openai-client.js';
import { hostOf, translateOpenAIError, type ErrorContext } from './openai-errors.js';
import { CallTrace, type TraceContext } from '../observability/request-log.js';

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
    const call = new CallTrace(this.connection.requestLog, { endpoint: 'chat', host: hostOf(this.baseURL), model: request.model, ...trace });
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
    const body = {
      model: request.model,
      messages: request.messages,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };

    if (!request.stream) {
      try {
        const { data, request_id } = await call.run(() => client.chat.completions.create({ ...body, stream: false }, signal ? { signal } : {}).withResponse());
        const choice = data.choices[0];
        const text = choice?.message.content ?? '';
        call.finish({ inputTokens: data.usage?.prompt_tokens, outputTokens: data.usage?.completion_tokens, firstTokenAt: performance.now() });
        if (text) yield { type: 'text', text };
        yield { type: 'finish', model: data.model, usage: usageOf(data.usage), finishReason: choice?.finish_reason, requestId: request_id ?? undefined };
        return;
      } catch (error) {
        throw translateOpenAIError(sdk, error, context);
      }
    }

    let stream: AsyncIterable<ChatCompletionChunk>;
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
    let finishReason: string | undefined;
    let firstTokenAt: number | undefined;
    try {
      for await (const chunk of stream) {
        if (chunk.model) model = chunk.model;
        if (chunk.usage) usage = usageOf(chunk.usage);
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const text = choice?.delta?.content;
        if (text) {
          firstTokenAt ??= performance.now();
          yield { type: 'text', text };
        }
      }
    } catch (error) {
      if (isAbortError(error) || error instanceof sdk.APIUserAbortError || signal?.aborted) throw translateOpenAIError(sdk, error, context);
      if ((error instanceof sdk.APIError && error.status !== undefined) || error instanceof SyntaxError) throw translateOpenAIError(sdk, error, context);
      const reason = error instanceof Error ? error.message : String(error);
      throw new AssistantError(`The connection to ${hostOf(this.baseURL)} was lost mid-answer (${reason}).`, { cause: error });
    }
    if (signal?.aborted) throw translateOpenAIError(sdk, signal.reason, context);
    if (finishReason === undefined) {
      throw new AssistantError(`The answer from ${hostOf(this.baseURL)} ended before it was finished (the stream closed without a finish reason).`);
    }
    call.finish({ inputTokens: usage?.promptTokens, outputTokens: usage?.completionTokens, firstTokenAt });
    yield { type: 'finish', model, usage, finishReason, requestId };
  }
}

/** The request log's name for why a call failed. */
export function errorClassOf(error: unknown): string {
  if (error instanceof Error && error.name === 'AbortError') return 'Aborted';
  const cause = (error as { cause?: { constructor?: { name?: string } } }).cause;
  return cause?.constructor?.name && cause.constructor.name !== 'Object' ? cause.constructor.name : error instanceof Error ? error.name : 'Error';
}

function usageOf(usage: { prompt_tokens: number; completion_tokens: number } | null | undefined): TokenUsage | undefined {
  return usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } : undefined;
}
