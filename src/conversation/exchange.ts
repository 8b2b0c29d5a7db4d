/**
 * One exchange of a session: the user's message in, the model's answer out, both stored.
 * Shared by `ask` and `talk`. The user's message is stored before the model is
 * called; the answer is stored whatever happens: complete, interrupted (the signal
 * aborted) or error (the model failed), with what had arrived so far.
 */
import type { ChatMessage, ChatModel } from '../chat/chat-model.js';
import { isAbortError } from '../chat/chat-model.js';
import { hostOf } from '../chat/openai-errors.js';
import type { ResponseCache } from '../cache/response-cache.js';
import { AssistantError } from '../errors.js';
import { SessionDeletedError, type MessageStatus, type NewMessage, type Store, type StoredMessage, type TokenUsage } from '../store/store.js';
import { contextWithinBudget, explainContextOverflow } from './context-window.js';

export interface ExchangeRequest {
  sessionId: string;
  userText: string;
  model: string;
  system?: string | undefined;
  temperature?: number | undefined;
  stream: boolean;
  /** Files the exchange's requests under this turn in the request log. */
  turnKey?: string | undefined;
  /** Estimated tokens of earlier messages sent as context (newest first). */
  contextBudgetTokens: number;
  /**
   * read-write: a cached answer may be served (a deterministic request, or the person asked
   * for it); write-only: a new answer is always fetched, and stored for later; off: neither.
   */
  answerCache: 'read-write' | 'write-only' | 'off';
  /** The personal token's name (serve), written with each call in the request log. */
  token?: { id: string; name: string } | undefined;
  /** Who asks ("user@host"), recorded on a new session. */
  owner?: string | undefined;
}

export interface ExchangeResult {
  sessionId: string;
  answer: string;
  status: MessageStatus;
  model: string;
  usage: TokenUsage | undefined;
  cached: boolean;
  finishReason: string | undefined;
  /** Set when status is "error": why the answer is missing or partial. */
  error?: unknown;
  userMessageId: number;
  assistantMessageId: number;
}

export interface ExchangeDependencies {
  store: Pick<Store, 'appendMessage' | 'messages'>;
  chatModel: ChatModel;
  cache: ResponseCache;
  /** Checked just before the model is called (not for cache hits): the rate and spend limits. */
  guard?: { beforeModelCall(signal?: AbortSignal): Promise<void> } | undefined;
}

export interface ExchangeOptions {
  signal?: AbortSignal;
  /** Each piece of the answer as it arrives (the whole answer at once on a cache hit). */
  onText?: (text: string) => void;
  /**
   * Runs after the answer is generated and before it is stored, and may change what is
   * stored: `talk` waits for the answer to be spoken and keeps only what was heard.
   */
  beforeStore?: (outcome: { answer: string; status: MessageStatus }) => Promise<{ content: string; status: MessageStatus }>;
}

export async function runExchange(
  { store, chatModel, cache, guard }: ExchangeDependencies,
  request: ExchangeRequest,
  { signal, onText, beforeStore }: ExchangeOptions = {},
): Promise<ExchangeResult> {
  const question = await store.appendMessage({
    sessionId: request.sessionId,
    role: 'user',
    content: request.userText,
    session: { owner: request.owner, system: request.system || null, model: request.model, temperature: request.temperature ?? null },
  });
  // Read after the question is in: a session deleted a moment before starts afresh (never
  // sending what was deleted), and one deleted from now on discards the answer.
  const earlier = (await store.messages(request.sessionId)).filter((message) => message.id < question.id);
  const messages = requestMessages(request, earlier);
  const answerOf = (message: Omit<NewMessage, 'sessionId' | 'role' | 'replyTo'>): Promise<StoredMessage> =>
    store.appendMessage({ ...message, sessionId: request.sessionId, role: 'assistant', replyTo: question.id }).catch((error: unknown) => {
      throw error instanceof SessionDeletedError ? new AssistantError(error.message, { cause: error }) : error;
    });

  const key = cache.key('chat', {
    baseURL: chatModel.baseURL,
    model: request.model,
    temperature: request.temperature,
    messages,
  });
  const trace = { sessionId: request.sessionId, turnKey: request.turnKey, ...(request.token === undefined ? {} : { token: request.token }) };
  const hit = request.answerCache === 'read-write' ? await cache.get(key, { ...trace, host: hostOf(chatModel.baseURL) }) : undefined;
  if (hit?.text !== undefined) {
    onText?.(hit.text);
    const usage = hit.metadata?.usage as TokenUsage | undefined;
    const settled = beforeStore ? await beforeStore({ answer: hit.text, status: 'complete' }) : { content: hit.text, status: 'complete' as const };
    const stored = await answerOf({ content: settled.content, status: settled.status, model: hit.model, usage, cached: true });
    return {
      sessionId: request.sessionId, answer: hit.text, status: settled.status, model: hit.model, usage, cached: true, finishReason: 'stop',
      userMessageId: question.id, assistantMessageId: stored.id,
    };
  }

  let answer = '';
  let model = request.model;
  let usage: TokenUsage | undefined;
  let finishReason: string | undefined;
  let status: MessageStatus = 'complete';
  let failure: unknown;
  try {
    await guard?.beforeModelCall(signal);
    const events = chatModel.generate(
      { model: request.model, messages, temperature: request.temperature, stream: request.stream },
      signal ? { signal, trace } : { trace },
    );
    for await (const event of events) {
      if (event.type === 'text') {
        answer += event.text;
        onText?.(event.text);
      } else {
        model = event.model;
        usage = event.usage;
        finishReason = event.finishReason;
      }
    }
  } catch (error) {
    status = isAbortError(error) || signal?.aborted ? 'interrupted' : 'error';
    failure = error;
  }

  const generated = status;
  let content = answer;
  if (beforeStore) ({ content, status } = await beforeStore({ answer, status }));
  const stored = await answerOf({ content, status, model, usage });
  // A complete answer is worth caching even when speaking it was cut short; one the model cut
  // off (length, content_filter) is not complete, whatever its status.
  const finished = finishReason === undefined || finishReason === 'stop';
  if (generated === 'complete' && finished && request.answerCache !== 'off') {
    await cache.put('chat', key, { model, text: answer, metadata: usage ? { usage } : {}, sessionId: request.sessionId });
  }
  return {
    sessionId: request.sessionId,
    answer,
    status,
    model,
    usage,
    cached: false,
    finishReason,
    ...(failure !== undefined && !isAbortError(failure) ? { error: explainContextOverflow(failure, request.sessionId, request.contextBudgetTokens) } : {}),
    userMessageId: question.id,
    assistantMessageId: stored.id,
  };
}

/**
 * What the model sees: the system prompt, the session so far within the budget (failed
 * questions left out), the new message. Exported so a speculative turn (src/voice/speculation.ts)
 * sends exactly what the committed turn would.
 */
export function requestMessages(request: Pick<ExchangeRequest, 'system' | 'contextBudgetTokens' | 'userText'>, earlier: StoredMessage[]): ChatMessage[] {
  return [
    ...(request.system ? [{ role: 'system' as const, content: request.system }] : []),
    ...contextWithinBudget(earlier, request.contextBudgetTokens),
    { role: 'user', content: request.userText },
  ];
}

/** An exchange as JSON (`ask --json`, the server's answers): the OpenAI API's snake_case for usage. */
export function exchangeJson(result: ExchangeResult): {
  session: string;
  answer: string;
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  cached: boolean;
  status: MessageStatus;
} {
  return {
    session: result.sessionId,
    answer: result.answer,
    model: result.model,
    usage: result.usage ? { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens } : null,
    cached: result.cached,
    status: result.status,
  };
}
