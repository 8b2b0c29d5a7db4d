/**
 * Speaks a reply while it streams in: the text goes through the sentence splitter, each
 * sentence into the speech queue. At the end it reports what was really heard, so an
 * interrupted answer is stored as what was said.
 */
import type { MessageStatus } from '../store/store.js';
import { SentenceSplitter } from './sentence-splitter.js';
import { SpeechQueue, type SpeechQueueOptions } from './speech-queue.js';

export interface ReplySpeakerOptions extends SpeechQueueOptions {
  /** Called once, when the first sentence is complete and goes to synthesis. */
  onFirstSentence?: () => void;
}

export class ReplySpeaker {
  private readonly splitter = new SentenceSplitter();
  private readonly queue: SpeechQueue;
  private sentences = 0;
  /** Why speaking failed, if it did (the answer itself is unaffected). */
  failure: unknown;

  constructor(private readonly options: ReplySpeakerOptions) {
    this.queue = new SpeechQueue({ ...options });
    options.signal.addEventListener('abort', () => void this.queue.stop().catch(() => {}), { once: true });
  }

  text(delta: string): void {
    this.enqueue(this.splitter.push(delta));
  }

  /** Waits until the reply has been spoken (or stopped); returns what to store as said. */
  async settle(outcome: { answer: string; status: MessageStatus }): Promise<{ content: string; status: MessageStatus }> {
    if (!this.options.signal.aborted) {
      this.enqueue(this.splitter.flush());
      try {
        await this.queue.finish();
      } catch (error) {
        this.failure = error;
        await this.queue.stop().catch(() => {});
      }
    }
    if (this.options.signal.aborted) {
      await this.queue.stop().catch(() => {});
      return { content: this.queue.spokenText(), status: 'interrupted' };
    }
    return { content: outcome.answer, status: outcome.status };
  }

  private enqueue(sentences: string[]): void {
    for (const sentence of sentences) {
      if (this.sentences === 0) this.options.onFirstSentence?.();
      this.sentences += 1;
      this.queue.add(sentence);
    }
  }
}
