/**
 * The word-aware turn end's two windows, chosen by measurement (issue 14 item 3). On each
 * spoken turn fixture the default detector (Silero) drives the segmenter as `talk` does: a
 * 'pause' event after the speculative pause starts a transcription, and when its words are
 * back, trailingWindowFor() moves the end of the utterance (setTrailingSilence), unless the
 * person spoke again first (talk drops the speculation then). The transcriber is ideal: at a
 * pause it returns exactly the words spoken so far, from the fixture's own text (the words
 * before a mid-sentence pause, the whole sentence after the speech ended), after a fixed
 * latency. Counts early cuts and the decision delay after the real end of speech for a grid
 * of (complete, unfinished) windows.
 */
import { VoiceActivityDetector } from '../src/audio/voice-activity.js';
import { loadSpeechClassifier } from '../src/audio/speech-detectors/load-classifier.js';
import { DEFAULT_COMPLETE_MILLISECONDS, DEFAULT_UNFINISHED_MILLISECONDS, trailingWindowFor, type TurnEndWindows } from '../src/voice/turn-end-rules.js';
import { SAMPLE_RATE } from '../test/support/audio-fixtures.js';
import { fixturesAvailable, pausedSentence, turnFixtures, type TurnFixture } from '../test/support/turn-fixtures.js';
import { DELAYS } from './time-to-first-audio.js';
import { ms, summary, table } from './stats.js';

const COMPLETE_WINDOWS = [300, 400, 500, 600, 700];
const UNFINISHED_WINDOWS = [700, 900, 1200];
/** talk's defaults: --silence (the undecided window) and --pause (the speculative start). */
const UNDECIDED_MS = 700;
const PAUSE_MS = 200;
/** The ideal transcriber's latency: none, and the time-to-first-audio benchmark's transcription delay. */
const LATENCIES = [0, DELAYS.transcriptionMs];
const CHUNK_BYTES = 640;
/** Pauses after unfinished words longer than the undecided window: only the unfinished window keeps these sentences whole. */
const LONG_PAUSES = [800, 1000];

interface Outcome {
  /** When each utterance was decided, ms from the start of the fixture. */
  times: number[];
  /** Pauses heard while the fixture's words so far are not known (inside a phrase): transcript taken as empty (undecided). */
  unknownPauses: number;
}

/** The words an ideal transcriber returns for the utterance so far, at `atMs`; undefined inside a phrase. */
function wordsSoFar(fixture: TurnFixture, atMs: number): string | undefined {
  if (atMs >= fixture.speechEndMs!) return fixture.text;
  const pause = fixture.pause;
  if (pause && atMs >= pause.atMs && atMs <= pause.atMs + pause.milliseconds) return pause.textBefore;
  return undefined;
}

async function run(fixture: TurnFixture, windows: TurnEndWindows, latencyMs: number): Promise<Outcome> {
  const loaded = await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE });
  if (loaded.fallback) throw new Error(loaded.fallback);
  const detector = new VoiceActivityDetector({ sampleRate: SAMPLE_RATE, trailingSilenceMilliseconds: UNDECIDED_MS, pauseMilliseconds: PAUSE_MS, classifier: loaded.classifier });
  const times: number[] = [];
  let unknownPauses = 0;
  // The transcript in flight for the current pause: its words and when they come back.
  let pending: { transcript: string; readyAtMs: number } | undefined;
  for (let offset = 0; offset < fixture.pcm.length; offset += CHUNK_BYTES) {
    const chunk = fixture.pcm.subarray(offset, offset + CHUNK_BYTES);
    const nowMs = ((offset + chunk.length) / 2 / SAMPLE_RATE) * 1000;
    await detector.analyse(chunk);
    const events = detector.push(chunk);
    for (const event of events) {
      if (event.type === 'pause') {
        const words = wordsSoFar(fixture, nowMs);
        if (words === undefined) unknownPauses += 1;
        pending = { transcript: words ?? '', readyAtMs: nowMs + latencyMs };
      } else if (event.type === 'resume' || event.type === 'discarded' || event.type === 'speech-start') {
        pending = undefined;
      } else if (event.type === 'utterance') {
        times.push(nowMs);
        pending = undefined;
      }
    }
    if (pending && nowMs >= pending.readyAtMs) {
      const ended = detector.setTrailingSilence(trailingWindowFor(pending.transcript, windows, 'en'));
      pending = undefined;
      if (ended.some((event) => event.type === 'utterance')) times.push(nowMs);
    }
  }
  return { times, unknownPauses };
}

export async function turnEndWindows(): Promise<string> {
  if (!fixturesAvailable()) return 'Not measured: espeak-ng or sox is not installed.';
  const loaded = await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE });
  if (loaded.fallback) return `Not measured: ${loaded.fallback}.`;
  const longPauses = LONG_PAUSES.map((pauseMs) => pausedSentence(`slow sentence with a ${pauseMs} ms pause after "for"`, 'Set a timer for', pauseMs, 'twenty minutes, please.', 130));
  const spoken = [...turnFixtures().filter((fixture) => fixture.kind !== 'noise'), ...longPauses];
  const pauseCount = spoken.filter((fixture) => fixture.kind === 'pause').length;
  const sections: string[] = [];
  const choices: string[] = [];
  for (const latencyMs of LATENCIES) {
    const rows: Array<{ complete: number; unfinished: number; early: number; median: number; cells: string[] }> = [];
    let unknownPauses = 0;
    const passes = COMPLETE_WINDOWS.length * UNFINISHED_WINDOWS.length;
    for (const complete of COMPLETE_WINDOWS) {
      for (const unfinished of UNFINISHED_WINDOWS) {
        const windows = { completeMilliseconds: complete, unfinishedMilliseconds: unfinished, undecidedMilliseconds: UNDECIDED_MS };
        let earlyOnPauses = 0;
        let earlyElsewhere = 0;
        let missed = 0;
        const delays: number[] = [];
        for (const fixture of spoken) {
          const outcome = await run(fixture, windows, latencyMs);
          unknownPauses += outcome.unknownPauses;
          if (outcome.times.length === 0) {
            missed += 1;
            continue;
          }
          if (outcome.times.some((time) => time < fixture.speechEndMs!)) {
            if (fixture.kind === 'pause') earlyOnPauses += 1;
            else earlyElsewhere += 1;
          }
          delays.push(outcome.times.at(-1)! - fixture.speechEndMs!);
        }
        const s = summary(delays);
        rows.push({
          complete,
          unfinished,
          early: earlyOnPauses + earlyElsewhere,
          median: s.median,
          cells: [`${complete} ms`, `${unfinished} ms`, `${earlyOnPauses} of ${pauseCount}`, String(earlyElsewhere), String(missed), `${ms(s.median)} (${ms(s.min)} – ${ms(s.max)})`],
        });
      }
    }
    // The rule the brief set: zero early cuts first, then the shortest median delay (ties: the longer, safer windows).
    const safe = rows.filter((row) => row.early === 0);
    const best = safe.sort((a, b) => a.median - b.median || b.complete - a.complete || b.unfinished - a.unfinished)[0];
    const mark = (row: (typeof rows)[number]): string[] => (row === best ? row.cells.map((cell) => `**${cell}**`) : row.cells);
    sections.push(
      `Transcript back ${latencyMs} ms after the pause event${latencyMs === 0 ? ' (an instant transcriber)' : ' (the transcription delay of section 1)'}` +
        (unknownPauses > 0 ? `; ${unknownPauses / passes} pause(s) per pass heard inside a phrase (words so far unknown), taken as undecided` : '') +
        ':',
      '',
      table(['complete window', 'unfinished window', 'early cuts, pause fixtures', 'early cuts, other fixtures', 'missed turns', 'decision delay, median (min – max)'], [...rows].sort((a, b) => a.complete - b.complete || a.unfinished - b.unfinished).map(mark)),
      '',
    );
    choices.push(best ? `${latencyMs} ms latency: complete ${best.complete} ms, unfinished ${best.unfinished} ms (median delay ${ms(best.median)})` : `${latencyMs} ms latency: no pair without early cuts`);
  }
  return [
    `The ${spoken.length - longPauses.length} spoken fixtures of section 8 and ${longPauses.length} more with a ${LONG_PAUSES.join(' and ')} ms pause after "Set a timer for" at 130 wpm (${pauseCount} with a mid-sentence pause in all), Silero, trailing (undecided) window ${UNDECIDED_MS} ms, speculative pause ${PAUSE_MS} ms, English rules. ` +
      'The transcriber is ideal: at a pause it returns the words spoken so far, taken from the fixture\'s own text (before a mid-sentence pause: its first half; after the speech: the whole sentence); ' +
      'the transcript then moves the end of the utterance as `talk` does (setTrailingSilence, dropped if speech resumes first). Early cut: an utterance decided before the speech really ended. ' +
      `Delay: from the real end of speech to the decision. Current defaults: complete ${DEFAULT_COMPLETE_MILLISECONDS} ms, unfinished ${DEFAULT_UNFINISHED_MILLISECONDS} ms. Chosen pair in bold (zero early cuts, then the shortest median delay).`,
    '',
    ...sections,
    `Best pair by the rule: ${choices.join('; ')}.`,
  ].join('\n');
}
