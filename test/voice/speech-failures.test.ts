/**
 * The speech path's failure and clean-up paths: a sentence that cannot be synthesized while
 * the reply is still streaming, a 20-sentence reply, a turn that ends without settling.
 * Every promise is observed (vitest fails a run on an unhandled rejection) and every abort
 * listener is removed.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AudioSink, Player } from '../../src/audio/player.js';
import { wavHeader, type PcmFormat } from '../../src/audio/wav.js';
import type { SpeechRequest, Synthesizer } from '../../src/speech/speech-models.js';
import { ReplySpeaker } from '../../src/voice/reply-speaker.js';
import { SpeechQueue } from '../../src/voice/speech-queue.js';
import { memoryCache } from '../support/memory-cache.js';

const FORMAT: PcmFormat = { sampleRate: 8000, channels: 1, bitsPerSample: 16 };
const settings = { model: 'tts', voice: 'alloy', speed: 1 };

/**
 * Like openai-node's fetchWithTimeout: adds an abort listener to the signal it is given and
 * never removes it (openai/openai-node#1811). Sentences in `failing` are refused.
 */
class LeakySynthesizer implements Synthesizer {
  readonly baseURL = 'http://fake/v1';
  readonly requests: string[] = [];
  readonly signals: AbortSignal[] = [];
  constructor(private readonly failing = new Set<string>()) {}
  async synthesize(request: SpeechRequest, { signal }: { signal?: AbortSignal }): Promise<AsyncIterable<Uint8Array>> {
    this.requests.push(request.text);
    if (signal) {
      this.signals.push(signal);
      signal.addEventListener('abort', () => {}, { once: true });
    }
    if (this.failing.has(request.text)) throw new Error(`no voice for "${request.text}"`);
    return (async function* () {
      yield wavHeader(FORMAT, 0xffffffff - 36);
      yield Buffer.from(request.text.padEnd(16, '.'));
    })();
  }
}

/** Records what it plays; `stopped` resolves when the queue stops it. */
class RecordingPlayer implements Player {
  readonly name = 'recording';
  readonly played: string[] = [];
  stops = 0;
  private onStop: (() => void) | undefined;
  readonly stopped = new Promise<void>((resolve) => (this.onStop = resolve));
  open(): AudioSink {
    return {
      write: async (pcm) => void this.played.push(Buffer.from(pcm).toString().replace(/\.+$/, '.')),
      endClip: async () => {},
      finish: async () => {},
      stop: async () => {
        this.stops += 1;
        this.onStop?.();
      },
    };
  }
}

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

let warnings: string[];
const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => void process.off('warning', onWarning));

describe('speech failure while the reply is still streaming', () => {
  it('stops speaking at the failed sentence, keeps the answer, and reports the failure once at the end', async () => {
    const synthesizer = new LeakySynthesizer(new Set(['Two fails.']));
    const player = new RecordingPlayer();
    const turn = new AbortController();
    const speaker = new ReplySpeaker({ synthesizer, cache: memoryCache(), player, settings, signal: turn.signal });
    speaker.text('One is fine. Two fails. ');
    // Before the fix the playback promise rejected here, unobserved, and nothing stopped the player.
    await player.stopped;
    speaker.text('Three comes later. Four too. ');
    const answer = 'One is fine. Two fails. Three comes later. Four too.';
    const settled = await speaker.settle({ answer, status: 'complete' });

    expect(settled).toEqual({ content: answer, status: 'complete' });
    expect(String(speaker.failure)).toBe('Error: no voice for "Two fails."');
    expect(player.played).toEqual(['One is fine.']);
    // Nothing more is synthesized once speaking has failed.
    expect(synthesizer.requests).not.toContain('Three comes later.');
    expect(synthesizer.requests).not.toContain('Four too.');
    expect(abortListeners(turn.signal)).toBe(0);
  });

  it('the queue rejects finish() with the first failure, after stopping; stop() can be called again', async () => {
    const player = new RecordingPlayer();
    const queue = new SpeechQueue({ synthesizer: new LeakySynthesizer(new Set(['Bad.'])), cache: memoryCache(), player, settings, signal: new AbortController().signal });
    queue.add('Good.');
    queue.add('Bad.');
    queue.add('Never played.');
    await expect(queue.finish()).rejects.toThrow('no voice for "Bad."');
    await queue.stop();
    expect(player.played).toEqual(['Good.']);
    expect(player.stops).toBeGreaterThanOrEqual(1);
  });
});

describe('listeners on the turn signal', () => {
  it('a 20-sentence reply leaves at most one listener on the turn signal, none after, and no warning', async () => {
    const synthesizer = new LeakySynthesizer();
    const turn = new AbortController();
    const speaker = new ReplySpeaker({ synthesizer, cache: memoryCache(), player: new RecordingPlayer(), settings, signal: turn.signal });
    let most = 0;
    const answer = Array.from({ length: 20 }, (_, index) => `Sentence ${index + 1}.`).join(' ');
    for (const word of answer.split(' ')) {
      speaker.text(`${word} `);
      most = Math.max(most, abortListeners(turn.signal));
    }
    await speaker.settle({ answer, status: 'complete' });
    expect(synthesizer.requests).toHaveLength(20);
    // Each request got its own signal, not the turn's.
    expect(synthesizer.signals.every((signal) => signal !== turn.signal)).toBe(true);
    expect(most).toBeLessThanOrEqual(1);
    expect(abortListeners(turn.signal)).toBe(0);
    expect(warnings.filter((warning) => warning.includes('MaxListenersExceeded'))).toEqual([]);
  });

  it('stop() on a turn that never settles (the exchange threw) stops the player, cancels downloads and lets go of the signal', async () => {
    const synthesizer = new LeakySynthesizer();
    const player = new RecordingPlayer();
    const turn = new AbortController();
    const speaker = new ReplySpeaker({ synthesizer, cache: memoryCache(), player, settings, signal: turn.signal });
    speaker.text('First sentence. Second sentence. Third');
    await speaker.stop();
    expect(abortListeners(turn.signal)).toBe(0);
    expect(synthesizer.signals.every((signal) => signal.aborted)).toBe(true);
    speaker.text(' sentence. Fourth sentence.');
    expect(synthesizer.requests.length).toBeLessThanOrEqual(2);
  });

  it('Ctrl-C during the reply: stored as what was heard, the player stopped, no listener left', async () => {
    const synthesizer = new LeakySynthesizer();
    const player = new RecordingPlayer();
    const turn = new AbortController();
    let playing!: () => void;
    const firstAudio = new Promise<void>((resolve) => (playing = resolve));
    const speaker = new ReplySpeaker({ synthesizer, cache: memoryCache(), player, settings, signal: turn.signal, onFirstAudio: () => playing() });
    speaker.text('Heard. Not heard. ');
    await firstAudio;
    turn.abort();
    await player.stopped;
    const settled = await speaker.settle({ answer: 'Heard. Not heard.', status: 'interrupted' });
    expect(settled.status).toBe('interrupted');
    expect(speaker.failure).toBeUndefined();
    expect(abortListeners(turn.signal)).toBe(0);
  });
});
