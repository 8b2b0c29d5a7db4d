/** ChatModel over the OpenAI chat completions API (and every server that speaks it). */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { AssistantError } from '../errors.js';
import type { TokenUsage } from '../store/store.js';
import { type ChatEvent, type ChatModel, type ChatRequest, isAbortError } from './chat-model.js';
import { checkConnection, loadOpenAI, type LoadedOpenAI, type OpenAIConnection } from './openai-client.js';
import { hostOf, translateOpenAIError } from './openai-errors.js';

export class OpenAIChatModel implements ChatModel {
  private loaded: Promise<LoadedOpenAI> | undefined;

  constructor(private readonly connection: OpenAIConnection) {
    checkConnection(connection);
  }

  get baseURL(): string {
    return this.connection.baseURL;
  }

  async *generate(request: ChatRequest, { signal }: { signal?: AbortSignal }): AsyncIterable<ChatEvent> {
    this.loaded ??= loadOpenAI(this.connection);
    const { sdk, client } = await this.loaded;
    const context = { ...this.connection, model: request.model };
    const body = {
      model: request.model,
      messages: request.messages,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };

    if (!request.stream) {
      try {
        const { data, request_id } = await client.chat.completions
          .create({ ...body, stream: false }, signal ? { signal } : {})
          .withResponse();
        const choice = data.choices[0];
        const text = choice?.message.content ?? '';
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
      const response = await client.chat.completions
        .create({ ...body, stream: true, stream_options: { include_usage: true } }, signal ? { signal } : {})
        .withResponse();
      stream = response.data;
      requestId = response.request_id ?? undefined;
    } catch (error) {
      throw translateOpenAIError(sdk, error, context);
    }

    let model = request.model;
    let usage: TokenUsage | undefined;
    let finishReason: string | undefined;
    try {
      for await (const chunk of stream) {
        if (chunk.model) model = chunk.model;
        if (chunk.usage) usage = usageOf(chunk.usage);
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const text = choice?.delta?.content;
        if (text) yield { type: 'text', text };
      }
    } catch (error) {
      if (isAbortError(error) || error instanceof sdk.APIUserAbortError || signal?.aborted) throw translateOpenAIError(sdk, error, context);
      if (error instanceof sdk.APIError && error.status !== undefined) throw translateOpenAIError(sdk, error, context);
      const reason = error instanceof Error ? error.message : String(error);
      throw new AssistantError(`The connection to ${hostOf(this.baseURL)} was lost mid-answer (${reason}).`, { cause: error });
    }
    if (signal?.aborted) throw translateOpenAIError(sdk, signal.reason, context);
    if (finishReason === undefined) {
      throw new AssistantError(`The answer from ${hostOf(this.baseURL)} ended before it was finished (the stream closed without a finish reason).`);
    }
    yield { type: 'finish', model, usage, finishReason, requestId };
  }
}

function usageOf(usage: { prompt_tokens: number; completion_tokens: number } | null | undefined): TokenUsage | undefined {
  return usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } : undefined;
}
