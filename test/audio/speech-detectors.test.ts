/**
 * The speech detectors on the espeak-ng/SoX fixtures (test/support/turn-fixtures.ts): each
 * classifier drives the real segmenter as `talk` does (analyse, then push, 20 ms chunks).
 */
import { describe, expect, it } from 'vitest';
import { VoiceActivityDetector, type SpeechClassifier } from '../../src/audio/voice-activity.js';
import { loadSpeechClassifier, type DetectorChoice } from '../../src/audio/speech-detectors/load-classifier.js';
import { SAMPLE_RATE } from '../support/audio-fixtures.js';
import { fixturesFor, turnFixtures, type TurnFixture } from '../support/turn-fixtures.js';

const available = fixturesFor('speech-detectors');

/** When each utterance was decided, in ms from the fixture's start. */
async function utteranceTimes(fixture: TurnFixture, classifier: SpeechClassifier, chunkBytes = 640): Promise<number[]> {
  const detector = new VoiceActivityDetector({ sampleRate: SAMPLE_RATE, classifier });
  const times: number[] = [];
  for (let offset = 0; offset < fixture.pcm.length; offset += chunkBytes) {
    const chunk = fixture.pcm.subarray(offset, offset + chunkBytes);
    await detector.analyse(chunk);
    for (const event of detector.push(chunk)) if (event.type === 'utterance') times.push(((offset + chunk.length) / 2 / SAMPLE_RATE) * 1000);
  }
  return times;
}

async function load(choice: DetectorChoice): Promise<SpeechClassifier> {
  const loaded = await loadSpeechClassifier({ choice, sampleRate: SAMPLE_RATE });
  expect(loaded.fallback).toBeUndefined();
  return loaded.classifier;
}

const fixtures = available ? turnFixtures() : [];
const speech = fixtures.filter((fixture) => fixture.kind !== 'noise');
const noiseOnly = fixtures.filter((fixture) => fixture.kind === 'noise');

describe.skipIf(!available)('Silero VAD (the default detector) on the fixtures', () => {
  it.each(speech.map((fixture) => [fixture.name, fixture] as const))('%s: one utterance, decided after the speech really ended', async (_, fixture) => {
    const times = await utteranceTimes(fixture, await load('silero'));
    expect(times).toHaveLength(1);
    expect(times[0]!).toBeGreaterThan(fixture.speechEndMs!);
  });

  it.each(noiseOnly.map((fixture) => [fixture.name, fixture] as const))('%s: no utterance (nothing would be uploaded)', async (_, fixture) => {
    expect(await utteranceTimes(fixture, await load('silero'))).toEqual([]);
  });

  it('decides the same whatever the chunk size (its 32 ms windows and the 20 ms frames stay aligned)', async () => {
    const fixture = speech.find((candidate) => candidate.name === 'sentence with a 450 ms pause')!;
    const byFrames = await utteranceTimes(fixture, await load('silero'));
    for (const chunkBytes of [2, 1000, 4410, 16_000]) {
      const times = await utteranceTimes(fixture, await load('silero'), chunkBytes);
      expect(times, `${chunkBytes}-byte chunks`).toHaveLength(1);
      // Decided in the same 20 ms frame; reported at the end of the chunk that held it.
      expect(Math.abs(times[0]! - byFrames[0]!), `${chunkBytes}-byte chunks`).toBeLessThanOrEqual((chunkBytes / 2 / SAMPLE_RATE) * 1000 + 20);
    }
  });
});

describe.skipIf(!available)('WebRTC VAD and the energy rule on the fixtures', () => {
  it.each(['webrtc', 'energy'] as const)('%s finds every spoken sentence, never cut inside a 300-600 ms pause', async (choice) => {
    for (const fixture of speech) {
      const times = await utteranceTimes(fixture, await load(choice));
      expect(times, fixture.name).toHaveLength(1);
      expect(times[0]!, fixture.name).toBeGreaterThan(fixture.speechEndMs!);
    }
  });

  // Why Silero is the default: both take some non-speech onsets for speech (BENCHMARKS.md "Speech detectors").
  it('the energy rule takes a fan switched on for speech; Silero does not', async () => {
    const fan = noiseOnly.find((fixture) => fixture.name.startsWith('fan'))!;
    expect(await utteranceTimes(fan, await load('energy'))).toHaveLength(1);
    expect(await utteranceTimes(fan, await load('silero'))).toEqual([]);
  });
});

describe('loadSpeechClassifier', () => {
  it('falls back to the energy rule, saying why, when the Silero model cannot load', async () => {
    const loaded = await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE, modelPath: '/nonexistent/silero.onnx' });
    expect(loaded.classifier.name).toBe('energy');
    expect(loaded.fallback).toMatch(/^the silero detector did not load \(.*\/nonexistent\/silero\.onnx/);
    expect(loaded.description).toMatch(/^energy \(fallback: the silero detector did not load/);
  });

  it('falls back when the file is not a Silero model', async () => {
    const loaded = await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE, modelPath: new URL(import.meta.url).pathname });
    expect(loaded.classifier.name).toBe('energy');
    expect(loaded.fallback).toMatch(/^the silero detector did not load/);
  });

  it.each([
    ['silero', /^silero \(model .*silero_vad_16k_op15\.onnx\)$/],
    ['webrtc', /^webrtc/],
    ['energy', /^energy$/],
  ] as const)('loads %s when asked', async (choice, description) => {
    const loaded = await loadSpeechClassifier({ choice, sampleRate: SAMPLE_RATE });
    expect(loaded.classifier.name).toBe(choice);
    expect(loaded.fallback).toBeUndefined();
    expect(loaded.description).toMatch(description);
  });
});
