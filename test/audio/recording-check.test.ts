/**
 * A whole recording (push-to-talk, `ask --audio`, `transcribe`) judged by the speech detector
 * talk uses: the onsets of non-speech sound in the espeak-ng/SoX fixtures (a fan switched on,
 * running water, mains hum, typing, a door slam, music) are refused, every spoken fixture is
 * taken, and the same classifier judges one recording after another as if each were the first.
 */
import { describe, expect, it } from 'vitest';
import { loadSpeechClassifier } from '../../src/audio/speech-detectors/load-classifier.js';
import { recordingHoldsSpeech } from '../../src/audio/speech-detectors/recording-check.js';
import type { SpeechClassifier } from '../../src/audio/voice-activity.js';
import { SAMPLE_RATE } from '../support/audio-fixtures.js';
import { fixturesFor, turnFixtures } from '../support/turn-fixtures.js';

const available = fixturesFor('recording-check');

const fixtures = available ? turnFixtures() : [];
const spoken = fixtures.filter((fixture) => fixture.kind !== 'noise');
const sounds = fixtures.filter((fixture) => fixture.kind === 'noise' && fixture.name !== 'pure silence');

describe.skipIf(!available)('a whole recording judged by Silero', () => {
  it('refuses every onset of non-speech sound', async () => {
    const { classifier, fallback } = await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE });
    expect(fallback).toBeUndefined();
    expect(sounds.length).toBeGreaterThanOrEqual(7);
    for (const sound of sounds) {
      expect(await recordingHoldsSpeech(sound.pcm, classifier, SAMPLE_RATE), sound.name).toBe(false);
    }
  });

  it('takes every spoken fixture, one after another on the same classifier, between refused sounds', async () => {
    const { classifier } = await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE });
    for (const [index, fixture] of spoken.entries()) {
      expect(await recordingHoldsSpeech(fixture.pcm, classifier, SAMPLE_RATE), fixture.name).toBe(true);
      const sound = sounds[index % sounds.length]!;
      expect(await recordingHoldsSpeech(sound.pcm, classifier, SAMPLE_RATE), sound.name).toBe(false);
    }
  });

  it('after reset(), a classifier that heard another recording decides frame by frame as a fresh one', async () => {
    const decisions = async (classifier: SpeechClassifier, pcm: Buffer): Promise<boolean[]> => {
      await classifier.analyse?.(pcm);
      const frames: boolean[] = [];
      for (let offset = 0; offset + 640 <= pcm.length; offset += 640) frames.push(classifier.isSpeech(pcm.subarray(offset, offset + 640)));
      return frames;
    };
    const recording = spoken[0]!.pcm;
    const fresh = await decisions((await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE })).classifier, recording);
    const { classifier: used } = await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE });
    // Another recording first, of a length that leaves part of a window and part of a frame over.
    await decisions(used, spoken[1]!.pcm.subarray(0, 2 * 12_345));
    used.reset();
    expect(await decisions(used, recording)).toEqual(fresh);
    expect(fresh.filter(Boolean).length).toBeGreaterThan(25);
  });

  it('the energy detector (the fallback) judges as before: against the recording\'s own quietest tenth', async () => {
    const { classifier } = await loadSpeechClassifier({ choice: 'energy', sampleRate: SAMPLE_RATE });
    const silence = fixtures.find((fixture) => fixture.name === 'pure silence')!;
    expect(await recordingHoldsSpeech(silence.pcm, classifier, SAMPLE_RATE)).toBe(false);
    expect(await recordingHoldsSpeech(spoken[0]!.pcm, classifier, SAMPLE_RATE)).toBe(true);
  });
});
