/**
 * What of a session the model sees. A long session must not grow every request without
 * bound (40 long turns once made a 32 MB request), and a failed question must not be sent
 * as context (the model would see two questions in a row, the first never answered).
 */
import type { ChatMessage } from '../chat/chat-model.js';
import { AssistantError } from '../errors.js';
import type { StoredMessage } from '../store/store.js';

/** Rough tokens of a text: about 4 bytes of UTF-8 per token for English; an estimate, not a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 4);
}

/** A question and the answer that followed it (none when the process died before storing one). */
interface Exchange {
  question: StoredMessage;
  answer: StoredMessage | undefined;
}

/**
 * The earlier exchanges that get an answer's text, newest first until the budget (estimated
 * tokens) is spent, then put back in order. Whole exchanges only, so user and assistant
 * messages alternate. The system prompt and the new question are always sent and do not
 * count against the budget.
 */
export function contextWithinBudget(earlier: StoredMessage[], budgetTokens: number): ChatMessage[] {
  const kept: ChatMessage[][] = [];
  let spent = 0;
  for (const { question, answer } of exchangesOf(earlier).reverse()) {
    if (!answered(answer)) continue;
    const cost = estimateTokens(question.content) + estimateTokens(answer.content);
    if (spent + cost > budgetTokens) break;
    spent += cost;
    kept.push([
      { role: 'user', content: question.content },
      { role: 'assistant', content: answer.content },
    ]);
  }
  return kept.reverse().flat();
}

/**
 * An answer worth sending as context: it has text, and no failure cut it (a half answer from
 * a lost connection would mislead; one the person stopped is what they chose to keep).
 */
function answered(answer: StoredMessage | undefined): answer is StoredMessage {
  return answer !== undefined && answer.status !== 'error' && answer.content.trim() !== '';
}

/** Questions that got no usable answer: refused (a limit), failed (401, 404, a lost connection, even mid-answer) or stopped before the first word. */
export function isFailedQuestion(messages: StoredMessage[], index: number): boolean {
  const message = messages[index];
  if (message?.role !== 'user') return false;
  const next = messages[index + 1];
  return next?.role !== 'assistant' || !answered(next);
}

/** The last question of a session that failed, for `ask --retry`. */
export function lastFailedQuestion(messages: StoredMessage[]): StoredMessage | undefined {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    if (messages[index]?.role === 'user') return isFailedQuestion(messages, index) ? messages[index] : undefined;
  }
  return undefined;
}

function exchangesOf(messages: StoredMessage[]): Exchange[] {
  const exchanges: Exchange[] = [];
  for (const message of messages) {
    if (message.role === 'user') exchanges.push({ question: message, answer: undefined });
    else if (message.role === 'assistant' && exchanges.length > 0) {
      const last = exchanges[exchanges.length - 1]!;
      last.answer ??= message;
    }
  }
  return exchanges;
}

/**
 * A server's "the conversation does not fit" (400 context_length_exceeded and the wordings
 * of local servers) turned into what to do next; other errors pass unchanged.
 */
export function explainContextOverflow(error: unknown, sessionId: string, budgetTokens: number): unknown {
  if (!(error instanceof AssistantError)) return error;
  const cause = error.cause as { status?: unknown; code?: unknown; message?: unknown } | undefined;
  const text = `${String(cause?.code ?? '')} ${String(cause?.message ?? '')} ${error.message}`;
  const tooLong = cause?.status === 400 && /context_length_exceeded|context length|context window|maximum context|too many tokens|prompt is too long/i.test(text);
  if (!tooLong) return error;
  return new AssistantError(
    `The conversation no longer fits the model's context window (session ${sessionId}). Start a new session (leave out -c/--session), or send less history: ASSISTANT_CONTEXT_TOKENS=${Math.max(500, Math.floor(budgetTokens / 2))} (now ${budgetTokens}).`,
    { cause: error },
  );
}
