/**
 * A player that records what it was given instead of making sound. Playing can take
 * fake-clock time (so a test decides when a sentence has been heard), and it can be made to
 * fail like a player that dies.
 */
import type { AudioSink, Player } from '../../src/audio/player.js';
import type { PcmFormat } from '../../src/audio/wav.js';
import type { FakeClock } from './fake-clock.js';

export interface FakePlayerOptions {
  /** Needed for `millisecondsPerByte`. */
  clock?: FakeClock;
  /** Fake-clock time each write takes to play, per byte. Default 0: writes are taken at once. */
  millisecondsPerByte?: number;
}

export class FakePlayer implements Player {
  readonly name = 'fake-player';
  /** Each write, in order. */
  readonly played: Buffer[] = [];
  /** The format of each sink opened. */
  readonly formats: PcmFormat[] = [];
  stops = 0;
  finishes = 0;
  /** Resolves when a sink is first stopped. */
  readonly stopped: Promise<void>;
  private onStop!: () => void;
  private failure: Error | undefined;

  constructor(private readonly options: FakePlayerOptions = {}) {
    this.stopped = new Promise((resolve) => (this.onStop = resolve));
    if (options.millisecondsPerByte && !options.clock) throw new Error('FakePlayer needs a clock to take time');
  }

  get opened(): number {
    return this.formats.length;
  }

  /** Everything played, as text (the fake synthesizer's PCM is the sentence's text). */
  get playedText(): string {
    return Buffer.concat(this.played).toString();
  }

  /** From now on, writes and finish fail with `error`, like a player that died. */
  fail(error: Error): void {
    this.failure = error;
  }

  open(format: PcmFormat): AudioSink {
    this.formats.push(format);
    const halt = new AbortController();
    return {
      write: async (pcm) => {
        if (this.failure) throw this.failure;
        this.played.push(Buffer.from(pcm));
        const milliseconds = pcm.byteLength * (this.options.millisecondsPerByte ?? 0);
        // Stopping ends a write that is still playing.
        if (milliseconds > 0) await this.options.clock!.sleep(milliseconds, halt.signal).catch(() => {});
      },
      endClip: async () => {},
      finish: async () => {
        this.finishes += 1;
        if (this.failure) throw this.failure;
      },
      stop: async () => {
        this.stops += 1;
        halt.abort();
        this.onStop();
      },
    };
  }
}

/** Plays in real time: the fake-clock milliseconds per byte of 16-bit PCM in `format`. */
export function realTime(format: PcmFormat): number {
  return 1000 / (format.sampleRate * format.channels * 2);
}
