import { describe, expect, it } from 'vitest';
import { VoiceActivityDetector, containsSpeech, decibels, type VoiceActivityEvent } from '../../src/audio/voice-activity.js';
import { SAMPLE_RATE, milliseconds, mix, noise, silence, speechLike } from '../support/audio-fixtures.js';

/** Feeds PCM in 640-byte chunks (20 ms, what SoX delivers with --buffer 640), noting when each event happened. */
function run(pcm: Buffer, options: Partial<ConstructorParameters<typeof VoiceActivityDetector>[0]> = {}): Array<VoiceActivityEvent & { atMs: number }> {
  const detector = new VoiceActivityDetector({ sampleRate: SAMPLE_RATE, ...options });
  const events: Array<VoiceActivityEvent & { atMs: number }> = [];
  for (let offset = 0; offset < pcm.length; offset += 640) {
    for (const event of detector.push(pcm.subarray(offset, offset + 640))) events.push({ ...event, atMs: milliseconds(offset + 640) });
  }
  return events;
}

const TOLERANCE_MS = 50;

/** Where the sound in a speech fixture really ends, in ms from its start. */
function lastSoundMs(speech: Buffer): number {
  for (let offset = speech.length - 2; offset >= 0; offset -= 2) if (Math.abs(speech.readInt16LE(offset)) > 50) return milliseconds(offset + 2);
  return 0;
}

describe('VoiceActivityDetector', () => {
  it.each([
    ['a quiet room', (ms: number) => noise(ms, -70)],
    ['a noisy room (-45 dBFS fan)', (ms: number) => noise(ms, -45, 7)],
    ['digital silence', (ms: number) => silence(ms)],
  ])('ends an utterance within the trailing silence + %#, in %s', (_, room) => {
    const speech = mix(speechLike(1800, -18), room(1800));
    const audio = Buffer.concat([room(1000), speech, room(2000)]);
    const events = run(audio);
    const utterances = events.filter((event) => event.type === 'utterance');
    expect(utterances).toHaveLength(1);
    const [utterance] = utterances as Array<Extract<VoiceActivityEvent, { type: 'utterance' }> & { atMs: number }>;
    const lastSound = 1000 + lastSoundMs(speechLike(1800, -18));
    expect(utterance!.atMs - lastSound).toBeGreaterThanOrEqual(700 - 20);
    expect(utterance!.atMs - lastSound).toBeLessThanOrEqual(700 + TOLERANCE_MS);
    // Pre-roll: the utterance starts about 300 ms before the speech did.
    expect(milliseconds(utterance!.pcm.length)).toBeGreaterThan(1800 + 300);
  });

  it('never cuts a sentence early at the pauses between words', () => {
    const words = Buffer.concat([speechLike(600), silence(400), speechLike(700), silence(500), speechLike(400)]);
    const events = run(Buffer.concat([silence(500), words, silence(1500)]));
    expect(events.filter((event) => event.type === 'utterance')).toHaveLength(1);
  });

  it('does not trigger on steady noise, however loud', () => {
    expect(run(noise(5000, -30, 3))).toEqual([]);
    expect(run(noise(5000, -70, 4))).toEqual([]);
  });

  it('discards a click or cough shorter than the minimum speech length', () => {
    const events = run(Buffer.concat([silence(800), speechLike(120, -10), silence(1500)]));
    expect(events.map((event) => event.type)).not.toContain('utterance');
  });

  it('cuts at the maximum utterance length', () => {
    const events = run(Buffer.concat([silence(500), speechLike(4000)]), { maximumUtteranceMilliseconds: 2000 });
    const utterance = events.find((event) => event.type === 'utterance');
    expect(utterance).toMatchObject({ reason: 'maximum-length' });
  });

  it('honours a configured trailing silence', () => {
    const events = run(Buffer.concat([silence(500), speechLike(1000), silence(2000)]), { trailingSilenceMilliseconds: 1200 });
    const utterance = events.find((event) => event.type === 'utterance')!;
    const lastSound = 500 + lastSoundMs(speechLike(1000));
    expect(utterance.atMs - lastSound).toBeGreaterThanOrEqual(1200 - 20);
    expect(utterance.atMs - lastSound).toBeLessThanOrEqual(1200 + TOLERANCE_MS);
  });
});

describe('containsSpeech and decibels', () => {
  it('finds speech, and none in silence or steady noise', () => {
    expect(containsSpeech(Buffer.concat([silence(300), speechLike(800), silence(300)]), SAMPLE_RATE)).toBe(true);
    expect(containsSpeech(silence(3000), SAMPLE_RATE)).toBe(false);
    expect(containsSpeech(noise(3000, -40), SAMPLE_RATE)).toBe(false);
    expect(containsSpeech(Buffer.alloc(0), SAMPLE_RATE)).toBe(false);
  });

  it('measures RMS in dBFS', () => {
    expect(decibels(silence(20))).toBe(-100);
    expect(decibels(noise(200, -30))).toBeCloseTo(-30, 0);
  });
});
