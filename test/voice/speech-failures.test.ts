/**
 * The speech path's failure and clean-up paths: a sentence that cannot be synthesized while
 * the reply is still streaming, a 20-sentence reply, a turn that ends without settling.
 * Every promise is observed (vitest fails a run on an unhandled rejection) and every abort
 * listener is removed.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReplySpeaker } from '../../src/voice/reply-speaker.js';
import { SpeechQueue } from '../../src/voice/speech-queue.js';
import { settle } from '../support/fake-clock.js';
import { FakePlayer } from '../support/fake-player.js';
import { FakeSynthesizer } from '../support/fake-synthesizer.js';
import { memoryCache } from '../support/memory-cache.js';

const settings = { model: 'tts', voice: 'alloy', speed: 1 };

/** Like openai-node's fetchWithTimeout, it never removes the abort listener it adds to a request's signal (openai/openai-node#1811). */
const leakySynthesizer = (): FakeSynthesizer => new FakeSynthesizer({ leaksAbortListeners: true });
/** A reply speaker for one turn, with a fake player. */
function speaking(synthesizer: FakeSynthesizer): { player: FakePlayer; turn: AbortController; speaker: ReplySpeaker } {
  const player = new FakePlayer();
  const turn = new AbortController();
  return { player, turn, speaker: new ReplySpeaker({ synthesizer, cache: memoryCache(), player, settings, signal: turn.signal }) };
}
const spoken = (synthesizer: FakeSynthesizer, ...texts: string[]): string => texts.map((text) => synthesizer.pcmFor(text).toString()).join('');

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
    const synthesizer = leakySynthesizer().fail('Two fails.');
    const { player, turn, speaker } = speaking(synthesizer);
    speaker.text('One is fine. Two fails. ');
    // Before the fix the playback promise rejected here, unobserved, and nothing stopped the player.
    await player.stopped;
    speaker.text('Three comes later. Four too. ');
    const answer = 'One is fine. Two fails. Three comes later. Four too.';
    const settled = await speaker.settle({ answer, status: 'complete' });

    expect(settled).toEqual({ content: answer, status: 'complete' });
    expect(String(speaker.failure)).toBe('Error: no voice for "Two fails."');
    expect(player.playedText).toBe(spoken(synthesizer, 'One is fine.'));
    // Nothing more is synthesized once speaking has failed.
    expect(synthesizer.texts).not.toContain('Three comes later.');
    expect(synthesizer.texts).not.toContain('Four too.');
    expect(abortListeners(turn.signal)).toBe(0);
  });

  it('the queue rejects finish() with the first failure, after stopping; stop() can be called again', async () => {
    const player = new FakePlayer();
    const synthesizer = leakySynthesizer().fail('Bad.');
    const queue = new SpeechQueue({ synthesizer, cache: memoryCache(), player, settings, signal: new AbortController().signal });
    queue.add('Good.');
    queue.add('Bad.');
    queue.add('Never played.');
    await expect(queue.finish()).rejects.toThrow('no voice for "Bad."');
    await queue.stop();
    expect(player.playedText).toBe(spoken(synthesizer, 'Good.'));
    expect(player.stops).toBeGreaterThanOrEqual(1);
  });
});

describe('a player or a speech server that misbehaves', () => {
  it('a player that dies: speaking fails with its error, the answer is kept whole', async () => {
    const player = new FakePlayer();
    player.fail(new Error('The audio player paplay exited with code 1'));
    const speaker = new ReplySpeaker({ synthesizer: leakySynthesizer(), cache: memoryCache(), player, settings, signal: new AbortController().signal });
    speaker.text('First. Second. ');
    const settled = await speaker.settle({ answer: 'First. Second.', status: 'complete' });
    expect(settled).toEqual({ content: 'First. Second.', status: 'complete' });
    expect(String(speaker.failure)).toBe('Error: The audio player paplay exited with code 1');
    expect(player.stops).toBeGreaterThanOrEqual(1);
  });

  it('a speech request that is never answered: stop() cancels it and returns', async () => {
    const synthesizer = leakySynthesizer().stall('Never answered.');
    const { player, turn, speaker } = speaking(synthesizer);
    speaker.text('Never answered. Behind it. ');
    await settle();
    // Requests go out in order: the one behind waits for this one to be answered.
    expect(synthesizer.texts).toEqual(['Never answered.']);
    await speaker.stop();
    expect(synthesizer.signals[0]?.aborted).toBe(true);
    expect(player.played).toEqual([]);
    expect(abortListeners(turn.signal)).toBe(0);
  });
});

describe('listeners on the turn signal', () => {
  it('a 20-sentence reply leaves at most one listener on the turn signal, none after, and no warning', async () => {
    const synthesizer = leakySynthesizer();
    const turn = new AbortController();
    const speaker = new ReplySpeaker({ synthesizer, cache: memoryCache(), player: new FakePlayer(), settings, signal: turn.signal });
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
    const synthesizer = leakySynthesizer();
    const { player, turn, speaker } = speaking(synthesizer);
    speaker.text('First sentence. Second sentence. Third');
    await speaker.stop();
    expect(abortListeners(turn.signal)).toBe(0);
    expect(synthesizer.signals.every((signal) => signal.aborted)).toBe(true);
    speaker.text(' sentence. Fourth sentence.');
    expect(synthesizer.texts.length).toBeLessThanOrEqual(2);
  });

  it('Ctrl-C during the reply: stored as what was heard, the player stopped, no listener left', async () => {
    const synthesizer = leakySynthesizer();
    const player = new FakePlayer();
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
