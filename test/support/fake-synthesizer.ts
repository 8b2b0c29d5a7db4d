/**
 * A synthesizer that records its requests and answers with scripted audio: a streamed WAV
 * whose PCM is the sentence's own text (padded), so what a player received shows which
 * sentences it got, in which order. A sentence can be made slow (fake-clock time), to stall
 * until cancelled, or to fail.
 */
import { wavHeader, type PcmFormat } from '../../src/audio/wav.js';
import type { SpeechRequest, Synthesizer } from '../../src/speech/speech-models.js';
import type { FakeClock } from './fake-clock.js';

export const FAKE_SPEECH_FORMAT: PcmFormat = { sampleRate: 8000, channels: 1, bitsPerSample: 16 };

export interface FakeSynthesizerOptions {
  /** Bytes of PCM per sentence (its text, padded with dots). Default 16. */
  bytes?: number;
  /** Needed for `slow`: the time the audio takes to arrive. */
  clock?: FakeClock;
  /**
   * Leave an abort listener on each request's signal and never remove it, as openai-node's
   * fetch does (openai/openai-node#1811), so tests see whether callers share one signal.
   */
  leaksAbortListeners?: boolean;
}

type Script = { kind: 'fail'; error: Error } | { kind: 'stall' } | { kind: 'slow'; milliseconds: number };

export class FakeSynthesizer implements Synthesizer {
  readonly baseURL = 'http://fake-speech/v1';
  readonly requests: SpeechRequest[] = [];
  /** The signal each request was given. */
  readonly signals: AbortSignal[] = [];
  private readonly scripts = new Map<string, Script>();

  constructor(private readonly options: FakeSynthesizerOptions = {}) {}

  /** The texts asked for, in order. */
  get texts(): string[] {
    return this.requests.map((request) => request.text);
  }

  /** The request for `text` is refused with `error`. */
  fail(text: string, error = new Error(`no voice for "${text}"`)): this {
    this.scripts.set(text, { kind: 'fail', error });
    return this;
  }

  /** The request for `text` is never answered; it ends only when its signal aborts. */
  stall(text: string): this {
    this.scripts.set(text, { kind: 'stall' });
    return this;
  }

  /** The audio of `text` starts at once but its PCM arrives `milliseconds` of fake-clock time later. */
  slow(text: string, milliseconds: number): this {
    if (!this.options.clock) throw new Error('FakeSynthesizer.slow needs a clock');
    this.scripts.set(text, { kind: 'slow', milliseconds });
    return this;
  }

  /** The PCM this synthesizer makes for `text`. */
  pcmFor(text: string): Buffer {
    return Buffer.from(text.padEnd(this.options.bytes ?? 16, '.'));
  }

  async synthesize(request: SpeechRequest, { signal }: { signal?: AbortSignal }): Promise<AsyncIterable<Uint8Array>> {
    this.requests.push(request);
    if (signal) {
      this.signals.push(signal);
      if (this.options.leaksAbortListeners) signal.addEventListener('abort', () => {}, { once: true });
    }
    const script = this.scripts.get(request.text);
    if (script?.kind === 'fail') throw script.error;
    if (script?.kind === 'stall') await untilAborted(signal);
    const pcm = this.pcmFor(request.text);
    const clock = this.options.clock;
    return (async function* () {
      yield wavHeader(FAKE_SPEECH_FORMAT, 0xffffffff - 36);
      if (script?.kind === 'slow') await clock!.sleep(script.milliseconds, signal);
      if (signal?.aborted) throw abortError();
      yield pcm.subarray(0, 8);
      yield pcm.subarray(8);
    })();
  }
}

function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal?.aborted) return reject(abortError());
    signal?.addEventListener('abort', () => reject(abortError()), { once: true });
  });
}

function abortError(): Error {
  return Object.assign(new Error('Request was aborted.'), { name: 'AbortError' });
}
