import { describe, expect, it } from 'vitest';
import { VoiceActivityDetector, type VoiceActivityEvent, type VoiceActivityOptions } from '../../src/audio/voice-activity.js';
import { decibels } from '../../src/audio/decibels.js';
import { SAMPLE_RATE, milliseconds, noise, silence, speechLike } from '../support/audio-fixtures.js';

type Timed = VoiceActivityEvent & { atMs: number };

/** Feeds PCM in 20 ms chunks; `onEvent` may act on the detector (as the voice loop does) and its events are kept too. */
function run(pcm: Buffer, options: Partial<VoiceActivityOptions> = {}, onEvent?: (event: VoiceActivityEvent, detector: VoiceActivityDetector) => VoiceActivityEvent[]): Timed[] {
  const detector = new VoiceActivityDetector({ sampleRate: SAMPLE_RATE, ...options });
  const events: Timed[] = [];
  for (let offset = 0; offset < pcm.length; offset += 640) {
    const atMs = milliseconds(offset + 640);
    for (const event of detector.push(pcm.subarray(offset, offset + 640))) {
      events.push({ ...event, atMs });
      for (const more of onEvent?.(event, detector) ?? []) events.push({ ...more, atMs });
    }
  }
  return events;
}

/** Where the sound in a speech fixture really ends, in ms from its start. */
function lastSoundMs(speech: Buffer): number {
  for (let offset = speech.length - 2; offset >= 0; offset -= 2) if (Math.abs(speech.readInt16LE(offset)) > 50) return milliseconds(offset + 2);
  return 0;
}

const of = <T extends VoiceActivityEvent['type']>(events: Timed[], type: T) => events.filter((event) => event.type === type) as Array<Extract<VoiceActivityEvent, { type: T }> & { atMs: number }>;

describe('VoiceActivityDetector pauses', () => {
  it('reports a 450 ms pause once, with the utterance so far, then the speech resuming, and still ends one utterance', () => {
    const first = speechLike(900);
    const audio = Buffer.concat([silence(500), first, silence(450), speechLike(700), silence(1500)]);
    const events = run(audio);
    expect(events.map((event) => event.type)).toEqual(['speech-start', 'pause', 'resume', 'pause', 'utterance']);
    const [pause] = of(events, 'pause');
    const firstEnd = 500 + lastSoundMs(first);
    // Emitted when the silence first reaches 250 ms (default), within a frame.
    expect(pause!.silenceMilliseconds).toBe(260);
    expect(pause!.atMs - firstEnd).toBeGreaterThanOrEqual(250 - 20);
    expect(pause!.atMs - firstEnd).toBeLessThanOrEqual(250 + 40);
    // The pcm is the utterance so far: pre-roll, the first words and the silence heard.
    expect(milliseconds(pause!.pcm.length)).toBeGreaterThan(900);
    expect(milliseconds(pause!.pcm.length)).toBeLessThan(900 + 300 + 300 + 80);
    expect(of(events, 'utterance')).toHaveLength(1);
  });

  it('emits no pause for gaps shorter than pauseMilliseconds, and honours a configured one', () => {
    const audio = Buffer.concat([silence(500), speechLike(800), silence(200), speechLike(600), silence(1500)]);
    expect(run(audio).map((event) => event.type)).toEqual(['speech-start', 'pause', 'utterance']);
    expect(run(audio, { pauseMilliseconds: 150 }).map((event) => event.type)).toEqual(['speech-start', 'pause', 'resume', 'pause', 'utterance']);
  });

  it('emits no pause or resume outside an utterance', () => {
    expect(run(silence(3000))).toEqual([]);
  });

  it('setTrailingSilence: a shorter window ends the current utterance at once when the silence already reached it', () => {
    const audio = Buffer.concat([silence(500), speechLike(1000), silence(1500)]);
    const events = run(audio, {}, (event, detector) => (event.type === 'pause' ? detector.setTrailingSilence(200) : []));
    const utterances = of(events, 'utterance');
    expect(utterances).toHaveLength(1);
    // Returned from setTrailingSilence itself, at the pause (260 ms of silence), not 700 ms later.
    expect(utterances[0]!.atMs).toBe(of(events, 'pause')[0]!.atMs);
    expect(utterances[0]!.silenceMilliseconds).toBe(260);
  });

  it('setTrailingSilence: a longer window keeps the utterance open across a long pause, then resets for the next one', () => {
    const sentence = Buffer.concat([speechLike(800), silence(900), speechLike(600)]);
    const next = speechLike(600);
    const audio = Buffer.concat([silence(500), sentence, silence(1500), next, silence(1500)]);
    let widened = false;
    const events = run(audio, {}, (event, detector) => {
      if (event.type === 'pause' && !widened) {
        widened = true;
        return detector.setTrailingSilence(1200);
      }
      return [];
    });
    const utterances = of(events, 'utterance');
    expect(utterances).toHaveLength(2);
    expect(utterances[0]!.silenceMilliseconds).toBe(1200);
    // The second utterance is back on the default 700 ms.
    expect(utterances[1]!.silenceMilliseconds).toBe(700);
    // Without the wider window the 900 ms pause would have cut the sentence in two.
    expect(of(run(audio), 'utterance')).toHaveLength(3);
  });

  it('setTrailingSilence does nothing outside an utterance', () => {
    const detector = new VoiceActivityDetector({ sampleRate: SAMPLE_RATE });
    expect(detector.setTrailingSilence(100)).toEqual([]);
    expect(detector.trailingSilenceMilliseconds).toBe(700);
  });
});

describe('VoiceActivityDetector: when the speech really ended', () => {
  /** A classifier that, like Silero, goes on saying "speech" for a while after the sound stops. */
  function lagging(frames: number) {
    let sinceLoud = Infinity;
    return {
      name: 'lagging',
      isSpeech(frame: Buffer): boolean {
        sinceLoud = decibels(frame) > -45 ? 0 : sinceLoud + 1;
        return sinceLoud <= frames;
      },
      reset(): void {
        sinceLoud = Infinity;
      },
    };
  }

  it('sinceSpeechMilliseconds places the end at the last sound even when the classifier lags', () => {
    const words = speechLike(1000);
    const events = run(Buffer.concat([silence(500), words, silence(1500)]), { classifier: lagging(4) });
    const [utterance] = of(events, 'utterance');
    const realEnd = 500 + lastSoundMs(words);
    // The classifier's silence starts 80 ms late; the level says when the sound stopped.
    expect(utterance!.atMs - utterance!.silenceMilliseconds - realEnd).toBeGreaterThanOrEqual(80 - 20);
    expect(Math.abs(utterance!.atMs - utterance!.sinceSpeechMilliseconds - realEnd)).toBeLessThanOrEqual(20);
  });

  it('over noise within 40 dB of the speech it keeps the classifier\'s silence', () => {
    const words = speechLike(1000, -20);
    const room = (milliseconds_: number) => noise(milliseconds_, -50, 9);
    const audio = Buffer.concat([room(500), words, room(1500)]);
    const [utterance] = of(run(audio, { classifier: lagging(0) }), 'utterance');
    expect(utterance!.sinceSpeechMilliseconds).toBe(utterance!.silenceMilliseconds);
  });
});
