import { describe, expect, it } from 'vitest';
import type { AudioSink, Player } from '../../src/audio/player.js';
import type { PcmFormat } from '../../src/audio/wav.js';
import { encodeWav, parseWavHeader, wavHeader } from '../../src/audio/wav.js';
import type { SpeechRequest, Synthesizer } from '../../src/speech/speech-models.js';
import { SpeechQueue } from '../../src/voice/speech-queue.js';
import { ReplySpeaker } from '../../src/voice/reply-speaker.js';
import { StatusLine, levelBar } from '../../src/voice/status-line.js';
import { decodeKeys } from '../../src/voice/keyboard.js';
import { Terminal } from '../../src/ui/terminal.js';
import { memoryCache } from '../support/memory-cache.js';

const FORMAT: PcmFormat = { sampleRate: 8000, channels: 1, bitsPerSample: 16 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A synthesizer whose audio for each sentence is its text's bytes, so order is visible; slow for chosen texts. */
class RecordingSynthesizer implements Synthesizer {
  readonly baseURL = 'http://fake/v1';
  readonly requests: string[] = [];
  constructor(
    private readonly delays: Record<string, number> = {},
    private readonly bytes = 16,
  ) {}
  async synthesize(request: SpeechRequest, { signal }: { signal?: AbortSignal }): Promise<AsyncIterable<Uint8Array>> {
    this.requests.push(request.text);
    const delay = this.delays[request.text] ?? 0;
    const pcm = Buffer.from(request.text.padEnd(this.bytes, '.'));
    return (async function* () {
      yield wavHeader(FORMAT, 0xffffffff - 36);
      await sleep(delay);
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      yield pcm.subarray(0, 8);
      yield pcm.subarray(8);
    })();
  }
}

/** A player that records what it was given, taking `millisecondsPerByte` to "play" each write. */
class RecordingPlayer implements Player {
  readonly name = 'recording';
  readonly played: Buffer[] = [];
  opened = 0;
  stopped = false;
  constructor(private readonly millisecondsPerByte = 0) {}
  open(format: PcmFormat): AudioSink {
    expect(format).toEqual(FORMAT);
    this.opened += 1;
    return {
      write: async (pcm) => {
        this.played.push(Buffer.from(pcm));
        await sleep(pcm.byteLength * this.millisecondsPerByte);
      },
      endClip: async () => {},
      finish: async () => {},
      stop: async () => {
        this.stopped = true;
      },
    };
  }
}

const settings = { model: 'tts', voice: 'alloy', speed: 1 };

describe('SpeechQueue', () => {
  it('plays clips in order, with no overlap, through one player, even when a later one downloads first', async () => {
    const synthesizer = new RecordingSynthesizer({ 'First.': 60 });
    const player = new RecordingPlayer();
    const queue = new SpeechQueue({ synthesizer, cache: memoryCache(), player, settings, signal: new AbortController().signal });
    queue.add('First.');
    queue.add('Second.');
    queue.add('Third.');
    await queue.finish();
    expect(Buffer.concat(player.played).toString()).toBe(['First.', 'Second.', 'Third.'].map((text) => text.padEnd(16, '.')).join(''));
    expect(player.opened).toBe(1);
    expect(synthesizer.requests).toEqual(['First.', 'Second.', 'Third.']);
    expect(queue.spokenText()).toBe('First. Second. Third.');
  });

  it('starts synthesizing a sentence before the previous one has finished playing', async () => {
    const synthesizer = new RecordingSynthesizer();
    const player = new RecordingPlayer(5); // 16 bytes -> 80 ms per clip
    const queue = new SpeechQueue({ synthesizer, cache: memoryCache(), player, settings, signal: new AbortController().signal });
    queue.add('One.');
    await sleep(20);
    queue.add('Two.');
    await sleep(5);
    expect(synthesizer.requests).toEqual(['One.', 'Two.']);
    expect(player.played.length).toBeLessThan(4);
    await queue.finish();
  });

  it('serves a repeated sentence from the cache', async () => {
    const synthesizer = new RecordingSynthesizer();
    const cache = memoryCache();
    for (let round = 0; round < 2; round += 1) {
      const queue = new SpeechQueue({ synthesizer, cache, player: new RecordingPlayer(), settings, signal: new AbortController().signal });
      queue.add('Same words.');
      await queue.finish();
    }
    expect(synthesizer.requests).toEqual(['Same words.']);
  });

  it('stops at once when interrupted, reporting only what was heard', async () => {
    const controller = new AbortController();
    const synthesizer = new RecordingSynthesizer({}, 1600); // 100 ms of audio per sentence
    const player = new RecordingPlayer(1 / 16); // plays in real time: 16 bytes per ms
    const speaker = new ReplySpeaker({ synthesizer, cache: memoryCache(), player, settings, signal: controller.signal });
    speaker.text('Heard in full. Cut off here. Never started. ');
    await sleep(150);
    controller.abort();
    const settled = await speaker.settle({ answer: 'Heard in full. Cut off here. Never started.', status: 'complete' });
    expect(settled.status).toBe('interrupted');
    expect(settled.content).toBe('Heard in full.');
    expect(player.stopped).toBe(true);
  });
});

describe('WAV', () => {
  it('round-trips a header and finds the data in a streamed WAV', () => {
    const wav = encodeWav(Buffer.alloc(320), { sampleRate: 16_000, channels: 1, bitsPerSample: 16 });
    expect(wav.length).toBe(364);
    expect(parseWavHeader(wav)).toEqual({ format: { sampleRate: 16_000, channels: 1, bitsPerSample: 16 }, dataOffset: 44 });
    expect(parseWavHeader(wav.subarray(0, 30))).toBeUndefined();
    expect(() => parseWavHeader(Buffer.from('ID3\u0004 not a wav file'))).toThrow(/not a WAV/);
  });
});

describe('terminal details', () => {
  it('draws no level meter or status when stderr is not a terminal', () => {
    let written = '';
    const terminal = new Terminal({ stdout: { write: () => true }, stderr: { write: (text: string) => ((written += text), true), isTTY: false }, env: {} });
    const status = new StatusLine(terminal);
    status.set('listening');
    status.meter(-10);
    status.clear();
    expect(status.enabled).toBe(false);
    expect(written).toBe('');
  });

  it('draws state and meter on a terminal', () => {
    let written = '';
    const terminal = new Terminal({ stdout: { write: () => true }, stderr: { write: (text: string) => ((written += text), true), isTTY: true }, env: { NO_COLOR: '1' } });
    new StatusLine(terminal).set('listening');
    expect(written).toContain('listening…');
    expect(levelBar(0)).toBe('▕████████████▏');
    expect(levelBar(-100)).toBe('▕            ▏');
  });

  it('decodes keys', () => {
    expect(decodeKeys(' \r\u0003\u0004x')).toEqual(['space', 'enter', 'ctrl-c', 'ctrl-d', 'other']);
  });
});
