/**
 * Speech detectors side by side on the espeak-ng/SoX turn fixtures (test/support/turn-fixtures.ts):
 * the energy rule, WebRTC VAD and Silero VAD, each driving the same segmenter as `talk`
 * (analyse, then push, 20 ms chunks). Counts early cuts (an utterance decided before the
 * speech really ended: a sentence cut at its pause), missed turns, false triggers (an
 * utterance on a noise-only fixture: an upload with no speech), the decision delay after the
 * real end of speech, and the CPU time each takes per second of audio.
 */
import { VoiceActivityDetector, type SpeechClassifier } from '../src/audio/voice-activity.js';
import { loadSpeechClassifier, type DetectorChoice } from '../src/audio/speech-detectors/load-classifier.js';
import { SAMPLE_RATE } from '../test/support/audio-fixtures.js';
import { fixturesAvailable, turnFixtures, type TurnFixture } from '../test/support/turn-fixtures.js';
import { ms, summary, table } from './stats.js';

const DETECTORS: DetectorChoice[] = ['energy', 'webrtc', 'silero'];
const WINDOWS = [700, 500];
const DEFAULT: DetectorChoice = 'silero';

interface Outcome {
  times: number[];
  cpuMilliseconds: number;
}

async function run(fixture: TurnFixture, classifier: SpeechClassifier, trailingSilenceMilliseconds: number): Promise<Outcome> {
  const detector = new VoiceActivityDetector({ sampleRate: SAMPLE_RATE, trailingSilenceMilliseconds, classifier });
  const times: number[] = [];
  const started = performance.now();
  for (let offset = 0; offset < fixture.pcm.length; offset += 640) {
    const chunk = fixture.pcm.subarray(offset, offset + 640);
    await detector.analyse(chunk);
    for (const event of detector.push(chunk)) if (event.type === 'utterance') times.push(((offset + chunk.length) / 2 / SAMPLE_RATE) * 1000);
  }
  return { times, cpuMilliseconds: performance.now() - started };
}

/** A delay that can be negative: the decision came before the real end (the speech's quiet tail was taken for silence). */
function signed(value: number): string {
  return value < 0 ? `-${ms(-value)}` : ms(value);
}

export async function speechDetectors(): Promise<string> {
  if (!fixturesAvailable()) return 'Not measured: espeak-ng or sox is not installed.';
  const fixtures = turnFixtures();
  const audioSeconds = fixtures.reduce((total, fixture) => total + fixture.pcm.length / 2 / SAMPLE_RATE, 0);
  const summaryRows: string[][] = [];
  const noiseRows = new Map<string, string[]>(fixtures.filter((fixture) => fixture.kind === 'noise').map((fixture) => [fixture.name, [fixture.name]]));
  const delayRows = new Map<string, string[]>(fixtures.filter((fixture) => fixture.kind !== 'noise').map((fixture) => [fixture.name, [fixture.name]]));
  const verdicts: string[] = [];
  for (const choice of DETECTORS) {
    for (const window of WINDOWS) {
      // A fresh classifier per fixture: each fixture is a new session (a new noise floor, a new network state).
      let early = 0;
      let missed = 0;
      let falseTriggers = 0;
      let cpu = 0;
      const delays: number[] = [];
      for (const fixture of fixtures) {
        const loaded = await loadSpeechClassifier({ choice, sampleRate: SAMPLE_RATE });
        if (loaded.fallback) return `Not measured: ${loaded.fallback}.`;
        const { times, cpuMilliseconds } = await run(fixture, loaded.classifier, window);
        cpu += cpuMilliseconds;
        if (fixture.kind === 'noise') {
          falseTriggers += times.length;
          if (window === WINDOWS[0]) noiseRows.get(fixture.name)!.push(String(times.length));
          continue;
        }
        if (times.length === 0) missed += 1;
        else if (times.some((time) => time < fixture.speechEndMs!)) early += 1;
        const delay = times.length > 0 ? times.at(-1)! - fixture.speechEndMs! : Number.NaN;
        if (!Number.isNaN(delay)) delays.push(delay);
        if (window === WINDOWS[0]) delayRows.get(fixture.name)!.push(times.length === 0 ? 'missed' : `${signed(delay)}${times.length > 1 ? ` (cut in ${times.length})` : ''}`);
      }
      const s = summary(delays);
      summaryRows.push([
        choice,
        `${window} ms`,
        String(early),
        String(missed),
        String(falseTriggers),
        `${signed(s.median)} (${signed(s.min)} – ${signed(s.max)})`,
        signed(s.median - window),
        `${(cpu / audioSeconds).toFixed(2)} ms`,
      ]);
      // Targets are judged for the default detector only; the others are there to compare.
      if (window === WINDOWS[0] && choice === DEFAULT) {
        verdicts.push(
          `Default detector (${choice}, ${window} ms window): early cuts ${early} (target 0: **${early === 0 ? 'met' : 'missed'}**), ` +
            `uploads on noise-only fixtures ${falseTriggers} (target 0: **${falseTriggers === 0 ? 'met' : 'missed'}**).`,
        );
      } else if (window === WINDOWS[0]) {
        verdicts.push(`For comparison, ${choice} (${window} ms window): early cuts ${early}, uploads on noise-only fixtures ${falseTriggers}.`);
      }
    }
  }
  const speechCount = delayRows.size;
  const noiseCount = noiseRows.size;
  return [
    `${speechCount} spoken fixtures (espeak-ng at 130/175/230 wpm, two voices, over a fan at -45 and -30 dBFS peak, and four sentences with a 300, 450, 600 and 600 ms mid-sentence pause) ` +
      `and ${noiseCount} noise-only ones (onsets of fan and running-water noise, 50 and 60 Hz mains hum, keyboard clicks, a door slam, plucked chords, pure silence), ` +
      `${audioSeconds.toFixed(0)} s of audio, generated by test/support/turn-fixtures.ts. Each detector drives the same segmenter (3 speech frames start a turn, 250 ms minimum speech, 300 ms pre-roll). ` +
      'An early cut is a spoken fixture with an utterance decided before its speech ended; a false trigger is an utterance (an upload) on a noise-only fixture. ' +
      'Delay: from the real end of speech to the decision, which includes the trailing window; below the window when a detector took the quiet tail of the speech for silence (energy over a loud fan). ' +
      'Detector time: analyse + push, wall clock, one thread.',
    '',
    table(['detector', 'trailing window', 'early cuts', 'missed turns', 'false triggers (uploads on noise)', 'decision delay, median (min – max)', 'median delay over the window', 'detector time per second of audio'], summaryRows),
    '',
    `Uploads on each noise-only fixture (trailing window ${WINDOWS[0]} ms):`,
    '',
    table(['fixture', ...DETECTORS], [...noiseRows.values()]),
    '',
    `Decision delay after the real end of speech on each spoken fixture (trailing window ${WINDOWS[0]} ms):`,
    '',
    table(['fixture', ...DETECTORS], [...delayRows.values()]),
    '',
    verdicts.join('\n\n'),
  ].join('\n');
}
