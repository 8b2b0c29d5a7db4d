/**
 * A chat model that answers with scripted pieces and records what it was sent. It can fail
 * after some pieces (like a dropped stream), or stop after some pieces and wait until its
 * signal aborts (like a model still thinking), so tests reach every way a turn can end.
 */
import { abortError, type ChatEvent, type ChatModel, type ChatRequest } from '../../src/chat/chat-model.js';

export interface ChatScript {
  pieces: string[];
  /** Throw this after the pieces. */
  failure?: Error;
  /** After the pieces, wait for the signal to abort (then throw an AbortError). */
  stall?: boolean;
  finishReason?: string;
}

export class FakeChatModel implements ChatModel {
  readonly baseURL = 'http://fake-chat/v1';
  readonly requests: ChatRequest[] = [];
  /** Called as each request arrives, before any piece: tests look at the store at that moment. */
  onRequest: ((request: ChatRequest) => void | Promise<void>) | undefined;
  /** Resolves when the pieces of a stalled script have all been sent. */
  stalled: Promise<void>;
  private markStalled!: () => void;
  private readonly scripts: ChatScript[];

  constructor(...scripts: ChatScript[]) {
    this.scripts = scripts;
    this.stalled = new Promise((resolve) => (this.markStalled = resolve));
  }

  async *generate(request: ChatRequest, { signal }: { signal?: AbortSignal }): AsyncIterable<ChatEvent> {
    this.requests.push(request);
    await this.onRequest?.(request);
    const script = this.scripts.shift() ?? { pieces: ['ok'] };
    for (const piece of script.pieces) {
      if (signal?.aborted) throw abortError();
      yield { type: 'text', text: piece };
    }
    if (script.failure) throw script.failure;
    if (script.stall) {
      this.markStalled();
      await new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })));
      throw abortError();
    }
    yield { type: 'finish', model: request.model, usage: { promptTokens: 3, completionTokens: script.pieces.length }, finishReason: script.finishReason ?? 'stop', requestId: undefined };
  }
}
