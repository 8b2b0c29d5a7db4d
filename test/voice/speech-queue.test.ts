import { describe, expect, it } from 'vitest';
import { encodeWav, parseWavHeader } from '../../src/audio/wav.js';
import { SpeechQueue } from '../../src/voice/speech-queue.js';
import { ReplySpeaker } from '../../src/voice/reply-speaker.js';
import { StatusLine, levelBar } from '../../src/voice/status-line.js';
import { decodeKeys } from '../../src/voice/keyboard.js';
import { Terminal } from '../../src/ui/terminal.js';
import { FakeClock, settle } from '../support/fake-clock.js';
import { FakePlayer, realTime } from '../support/fake-player.js';
import { FAKE_SPEECH_FORMAT, FakeSynthesizer } from '../support/fake-synthesizer.js';
import { memoryCache } from '../support/memory-cache.js';

const settings = { model: 'tts', voice: 'alloy', speed: 1 };

describe('SpeechQueue', () => {
  it('plays clips in order, with no overlap, through one player, even when a later one downloads first', async () => {
    const clock = new FakeClock();
    const synthesizer = new FakeSynthesizer({ clock }).slow('First.', 60);
    const player = new FakePlayer();
    const queue = new SpeechQueue({ synthesizer, cache: memoryCache(), player, settings, signal: new AbortController().signal, now: clock.now });
    queue.add('First.');
    queue.add('Second.');
    queue.add('Third.');
    const finished = queue.finish();
    await settle();
    // The second sentence has arrived while the first still downloads; nothing is played out of turn.
    expect(synthesizer.texts).toEqual(['First.', 'Second.', 'Third.']);
    expect(player.played).toEqual([]);
    await clock.advance(60);
    await finished;
    expect(player.playedText).toBe(['First.', 'Second.', 'Third.'].map((text) => synthesizer.pcmFor(text).toString()).join(''));
    expect(player.formats).toEqual([FAKE_SPEECH_FORMAT]);
    expect(queue.spokenText()).toBe('First. Second. Third.');
  });

  it('starts synthesizing a sentence before the previous one has finished playing', async () => {
    const clock = new FakeClock();
    const synthesizer = new FakeSynthesizer();
    const player = new FakePlayer({ clock, millisecondsPerByte: 5 }); // 16 bytes -> 80 ms per clip
    const queue = new SpeechQueue({ synthesizer, cache: memoryCache(), player, settings, signal: new AbortController().signal, now: clock.now });
    queue.add('One.');
    await clock.advance(20);
    queue.add('Two.');
    await settle();
    expect(synthesizer.texts).toEqual(['One.', 'Two.']);
    // Still playing the first half of the first clip.
    expect(player.played).toHaveLength(1);
    const finished = queue.finish();
    await clock.advance(160);
    await finished;
    expect(player.playedText).toBe(synthesizer.pcmFor('One.').toString() + synthesizer.pcmFor('Two.').toString());
  });

  it('serves a repeated sentence from the cache', async () => {
    const synthesizer = new FakeSynthesizer();
    const cache = memoryCache();
    for (let round = 0; round < 2; round += 1) {
      const queue = new SpeechQueue({ synthesizer, cache, player: new FakePlayer(), settings, signal: new AbortController().signal });
      queue.add('Same words.');
      await queue.finish();
    }
    expect(synthesizer.texts).toEqual(['Same words.']);
  });

  it('stops at once when interrupted, reporting only what was heard', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const synthesizer = new FakeSynthesizer({ bytes: 1600 }); // 100 ms of audio per sentence
    const player = new FakePlayer({ clock, millisecondsPerByte: realTime(FAKE_SPEECH_FORMAT) });
    const speaker = new ReplySpeaker({ synthesizer, cache: memoryCache(), player, settings, signal: controller.signal, now: clock.now });
    speaker.text('Heard in full. Cut off here. Never started. ');
    await clock.advance(150);
    controller.abort();
    const settled = await speaker.settle({ answer: 'Heard in full. Cut off here. Never started.', status: 'complete' });
    expect(settled.status).toBe('interrupted');
    expect(settled.content).toBe('Heard in full.');
    expect(player.stops).toBe(1);
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
