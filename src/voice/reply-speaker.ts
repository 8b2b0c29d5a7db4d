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
  /** The first clip may be a clause of at least this many words (see SentenceSplitter). Default 4. */
  firstClauseWords?: number | undefined;
}

/** Short enough to start speaking early, long enough not to sound clipped ("Sure," is not a clip of its own). */
export const FIRST_CLAUSE_WORDS = 4;

export class ReplySpeaker {
  private readonly splitter: SentenceSplitter;
  private readonly queue: SpeechQueue;
  private sentences = 0;
  /** Why speaking failed, if it did (the answer itself is unaffected). */
  failure: unknown;

  constructor(private readonly options: ReplySpeakerOptions) {
    this.splitter = new SentenceSplitter({ firstClauseWords: options.firstClauseWords ?? FIRST_CLAUSE_WORDS });
    this.queue = new SpeechQueue({ ...options });
  }

  text(delta: string): void {
    this.enqueue(this.splitter.push(delta));
  }

  /** Waits until the reply has been spoken (or stopped); returns what to store as said. Never rejects. */
  async settle(outcome: { answer: string; status: MessageStatus }): Promise<{ content: string; status: MessageStatus }> {
    try {
      if (!this.options.signal.aborted) {
        this.enqueue(this.splitter.flush());
        await this.queue.finish();
      }
    } catch (error) {
      if (!this.options.signal.aborted) this.failure = error;
    } finally {
      await this.stop();
    }
    if (this.options.signal.aborted) return { content: this.queue.spokenText(), status: 'interrupted' };
    return { content: outcome.answer, status: outcome.status };
  }

  /**
   * Stops the audio and the downloads now and lets go of the signal. Every exit path of a
   * turn calls it (after settle it does nothing more), so no player outlives its turn.
   */
  stop(): Promise<void> {
    return this.queue.stop();
  }

  private enqueue(sentences: string[]): void {
    for (const sentence of sentences) {
      if (this.sentences === 0) this.options.onFirstSentence?.();
      this.sentences += 1;
      this.queue.add(sentence);
    }
  }
}
