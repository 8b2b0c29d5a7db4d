/** The chat capability: send a conversation, receive the answer as it is generated. */
import type { TraceContext } from '../observability/request-log.js';
import type { Role, TokenUsage } from '../store/store.js';

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Unset: the server's default. */
  temperature?: number | undefined;
  /** Ask the server for server-sent events (token by token) rather than one response. */
  stream: boolean;
}

export type ChatEvent =
  | { type: 'text'; text: string }
  | {
      type: 'finish';
      /** The model that answered, as the server names it. */
      model: string;
      usage: TokenUsage | undefined;
      /** "stop", "length", ...: why the model stopped. */
      finishReason: string | undefined;
      requestId: string | undefined;
    };

export interface ChatModel {
  /** Where requests go; part of every cache key. */
  readonly baseURL: string;
  /**
   * Yields the answer's text as it arrives, then one finish event. Throws AssistantError on
   * failure; when `signal` aborts, throws an error whose name is "AbortError".
   */
  generate(request: ChatRequest, options: { signal?: AbortSignal; trace?: TraceContext }): AsyncIterable<ChatEvent>;
}

export function abortError(): Error {
  const error = new Error('The operation was aborted.');
  error.name = 'AbortError';
  return error;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
