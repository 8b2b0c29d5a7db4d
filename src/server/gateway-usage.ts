/**
 * What a gateway chat completion costs its token: the upstream's reported usage, charged to the
 * token's day like an answer of /v1/ask, so the daily budget holds through the gateway too. A
 * streamed request always asks the upstream for its usage (stream_options.include_usage); when
 * the client did not ask for it, that last usage-only event is dropped on the way back, so the
 * client gets the stream it asked for. An upstream that reports no usage is charged an estimate.
 */
import { estimateTokens } from '../conversation/context-window.js';
import type { ChatCompletionBody } from './gateway-cache.js';

export interface ReportedUsage {
  promptTokens?: number | undefined;
  completionTokens?: number | undefined;
}

/** The request as sent upstream: a stream that reports its usage at the end. */
export function withUsageReported(body: ChatCompletionBody): ChatCompletionBody {
  return body.stream ? { ...body, stream_options: { ...body.stream_options, include_usage: true } } : body;
}

/** Prompt plus completion tokens: as reported, or estimated from the messages and the answer's text. */
export function tokensToCharge(usage: ReportedUsage | undefined, body: ChatCompletionBody, answerText: string): number {
  const prompt = usage?.promptTokens ?? estimateTokens(JSON.stringify(body.messages));
  const completion = usage?.completionTokens ?? estimateTokens(answerText);
  return Math.max(0, Math.round(prompt + completion));
}

/** Server-sent events passed through as they end, except the usage-only event (`"choices":[]` with usage) a client did not ask for. */
export function dropUsageEvents(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffered = '';
  return new TransformStream({
    transform(chunk, controller) {
      buffered += decoder.decode(chunk, { stream: true });
      let passed = '';
      // An event ends at a blank line (LF or CRLF); each goes on with its own ending, or not at all.
      for (let end = EVENT_END.exec(buffered); end; end = EVENT_END.exec(buffered)) {
        const event = buffered.slice(0, end.index + end[0].length);
        buffered = buffered.slice(event.length);
        if (!isUsageOnly(event)) passed += event;
      }
      if (passed !== '') controller.enqueue(encoder.encode(passed));
    },
    flush(controller) {
      buffered += decoder.decode();
      if (buffered !== '' && !isUsageOnly(buffered)) controller.enqueue(encoder.encode(buffered));
    },
  });
}

const EVENT_END = /\r?\n\r?\n/;

function isUsageOnly(event: string): boolean {
  const data = /^data:\s*(\{.*\})\s*$/m.exec(event)?.[1];
  if (data === undefined) return false;
  try {
    const parsed = JSON.parse(data) as { choices?: unknown[]; usage?: unknown };
    return Array.isArray(parsed.choices) && parsed.choices.length === 0 && parsed.usage !== undefined && parsed.usage !== null;
  } catch {
    return false;
  }
}
