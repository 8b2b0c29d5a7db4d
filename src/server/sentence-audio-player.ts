/**
 * A Player that plays nothing: it hands on each sentence's audio as its own WAV the moment
 * the speech queue has given it all of that sentence, so POST /v1/talk can stream the spoken
 * answer sentence by sentence while the model is still writing. The turn core speaks through
 * it exactly as `talk` speaks through a loudspeaker.
 */
import type { AudioSink, Player } from '../audio/player.js';
import { encodeWav, type PcmFormat } from '../audio/wav.js';
import { SentenceSplitter } from '../voice/sentence-splitter.js';

/** One spoken sentence: its place in the answer (from 0), its text and its audio. */
export interface SpokenSentence {
  index: number;
  text: string;
  wav: Buffer;
}

export class SentenceAudioPlayer implements Player {
  readonly name = 'sentences';
  /**
   * The speech queue gives the player audio, not words: the same splitter fed the same pieces
   * of the answer cuts the same sentences in the same order, so clip N is sentence N.
   */
  private readonly splitter = new SentenceSplitter();
  private readonly sentences: string[] = [];
  private clips = 0;

  /** `onSentence` is awaited before the next clip is taken: the sentences leave in order. */
  constructor(private readonly onSentence: (sentence: SpokenSentence) => Promise<void>) {}

  /** Each piece of the answer, as the reply speaker gets it. */
  text(delta: string): void {
    this.sentences.push(...this.splitter.push(delta));
  }

  open(format: PcmFormat): AudioSink {
    let chunks: Buffer[] = [];
    return {
      write: async (pcm) => void chunks.push(Buffer.from(pcm)),
      endClip: async () => {
        const wav = encodeWav(Buffer.concat(chunks), format);
        chunks = [];
        const index = this.clips++;
        await this.onSentence({ index, text: this.sentenceAt(index), wav });
      },
      finish: async () => {},
      stop: async () => {},
    };
  }

  private sentenceAt(index: number): string {
    // The last sentence reaches the speaker only when the answer has ended (the splitter's flush).
    if (index >= this.sentences.length) this.sentences.push(...this.splitter.flush());
    return this.sentences[index] ?? '';
  }
}
