/**
 * Turn-taking fixtures, generated with espeak-ng and SoX (deterministic: fixed texts, rates
 * and `sox -R` seeds), each with its true speech ends. Three kinds:
 *   - turn: one sentence (several speaking rates, over room noise): one utterance expected;
 *   - pause: a sentence with a 300/450/600 ms pause in the middle: one utterance, never cut at the pause;
 *   - noise: onsets of non-speech sound (fan, water, mains hum, keyboard, door slam, music, silence): no utterance.
 * Generated once per process into memory; needs espeak-ng and sox on PATH (`fixturesAvailable()`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { SAMPLE_RATE, mix, silence } from './audio-fixtures.js';

export type TurnFixtureKind = 'turn' | 'pause' | 'noise';

export interface TurnFixture {
  name: string;
  kind: TurnFixtureKind;
  /** 16 kHz mono 16-bit little-endian PCM. */
  pcm: Buffer;
  /** Where speech really ends, in ms from the start (turn and pause fixtures); undefined for noise. */
  speechEndMs?: number;
  /** The words spoken (turn and pause fixtures): what an ideal transcriber hears at the end. */
  text?: string;
  /** Where the mid-sentence pause starts, how long it is and the words said before it (pause fixtures). */
  pause?: { atMs: number; milliseconds: number; textBefore: string };
}

const RAW_OUT = ['-t', 'raw', '-r', String(SAMPLE_RATE), '-c', '1', '-e', 'signed-integer', '-b', '16', '-'];

export function fixturesAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v espeak-ng && command -v sox']).status === 0;
}

/**
 * Whether a suite (its name in the message) can use the fixtures: where espeak-ng or SoX is
 * missing its tests are skipped, saying so and how to install them; under
 * ASSISTANT_REQUIRE_AUDIO (CI sets it) that fails the run instead.
 */
export function fixturesFor(suite: string): boolean {
  if (fixturesAvailable()) return true;
  if (process.env.ASSISTANT_REQUIRE_AUDIO) throw new Error(`[${suite}] the tests on spoken fixtures need espeak-ng and sox (apt install espeak-ng sox)`);
  console.warn(`\n[${suite}] SKIPPED the tests on spoken fixtures: espeak-ng or sox is not installed (apt install espeak-ng sox to run them)\n`);
  return false;
}

/** espeak-ng speech at a rate (words per minute), resampled to 16 kHz, peak-normalised to -3 dBFS, silence trimmed at both ends. */
export function speak(text: string, wordsPerMinute = 175, voice = 'en-us'): Buffer {
  const wav = execFileSync('espeak-ng', ['-v', voice, '-s', String(wordsPerMinute), '--stdout', text]);
  const pcm = execFileSync('sox', ['-q', '-t', 'wav', '-', ...RAW_OUT, 'norm', '-3'], { input: wav });
  return trimSilence(pcm);
}

/** A SoX synth source (e.g. ['brownnoise']) for some ms, then effects (levels are set with `gain -n`: peak dBFS). */
function synth(milliseconds: number, source: string[], effects: string[] = []): Buffer {
  const seconds = (milliseconds / 1000).toFixed(3);
  // -R: SoX's repeatable mode (a fixed random seed), so the noise is the same on every run.
  return execFileSync('sox', ['-q', '-R', '-n', ...RAW_OUT, 'synth', seconds, ...source, ...effects], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function ms(pcm: Buffer): number {
  return (pcm.length / 2 / SAMPLE_RATE) * 1000;
}

/** Drops leading and trailing samples quieter than ~-50 dBFS so the fixture knows where its speech starts and ends. */
function trimSilence(pcm: Buffer, floor = 100): Buffer {
  let start = 0;
  while (start < pcm.length && Math.abs(pcm.readInt16LE(start)) <= floor) start += 2;
  let end = pcm.length;
  while (end > start && Math.abs(pcm.readInt16LE(end - 2)) <= floor) end -= 2;
  return pcm.subarray(start, end);
}

/** Lays clips end to end over a room sound of the same total length. */
function over(room: (milliseconds: number) => Buffer, parts: Buffer[]): Buffer {
  const clip = Buffer.concat(parts);
  return mix(clip, room(ms(clip)));
}

const LEAD_MS = 800;
const TAIL_MS = 2500;
const quiet = (milliseconds: number): Buffer => silence(milliseconds);
const fan = (level: number) => (milliseconds: number) => synth(milliseconds, ['brownnoise'], ['gain', '-n', String(level)]);

interface Spoken {
  text: string;
  pcm: Buffer;
}

function said(text: string, wordsPerMinute?: number, voice?: string): Spoken {
  return { text, pcm: speak(text, wordsPerMinute, voice) };
}

function turn(name: string, speech: Spoken, room: (milliseconds: number) => Buffer = quiet): TurnFixture {
  return { name, kind: 'turn', pcm: over(room, [silence(LEAD_MS), speech.pcm, silence(TAIL_MS)]), speechEndMs: LEAD_MS + ms(speech.pcm), text: speech.text };
}

function paused(name: string, first: Spoken, pauseMs: number, second: Spoken): TurnFixture {
  return {
    name,
    kind: 'pause',
    pcm: Buffer.concat([silence(LEAD_MS), first.pcm, silence(pauseMs), second.pcm, silence(TAIL_MS)]),
    speechEndMs: LEAD_MS + ms(first.pcm) + pauseMs + ms(second.pcm),
    text: `${first.text} ${second.text}`,
    pause: { atMs: LEAD_MS + ms(first.pcm), milliseconds: pauseMs, textBefore: first.text },
  };
}

/** A steady sound that starts after a quiet lead and goes on (an onset), as a fan switched on would. */
function onset(name: string, sound: Buffer): TurnFixture {
  return { name, kind: 'noise', pcm: Buffer.concat([silence(LEAD_MS), sound, silence(1000)]) };
}

/** Keyboard typing: 8 ms clicks of filtered noise at uneven intervals (seeded), about 7 keys a second. */
function keyboard(milliseconds: number): Buffer {
  const click = synth(8, ['whitenoise'], ['highpass', '2000', 'fade', 'q', '0', '0.008', '0.006', 'gain', '-n', '-6']);
  const parts: Buffer[] = [];
  let total = 0;
  let state = 7;
  while (total < milliseconds) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const gap = 80 + (state % 120);
    parts.push(click, silence(gap));
    total += 8 + gap;
  }
  return Buffer.concat(parts);
}

/** A door slam: a low thump with a short decaying tail, then the room again. */
function doorSlam(): Buffer {
  return synth(600, ['brownnoise'], ['lowpass', '200', 'fade', 'q', '0.005', '0.6', '0.55', 'gain', '-n', '-1']);
}

/**
 * A sentence with a pause after its first half, spoken at a rate: for fixtures beyond the
 * shared set (the turn-end benchmark's pauses longer than the trailing window).
 */
export function pausedSentence(name: string, before: string, pauseMs: number, after: string, wordsPerMinute?: number): TurnFixture {
  return paused(name, said(before, wordsPerMinute), pauseMs, said(after, wordsPerMinute));
}

let cached: TurnFixture[] | undefined;

export function turnFixtures(): TurnFixture[] {
  if (cached) return cached;
  const sentence = 'Could you tell me what the weather will be like in Madrid tomorrow morning?';
  const list: TurnFixture[] = [];
  for (const rate of [130, 175, 230]) list.push(turn(`sentence at ${rate} wpm`, said(sentence, rate)));
  list.push(turn('short command "Stop."', said('Stop.')));
  list.push(turn('question, en-gb voice', said('What time is it in Tokyo right now?', 175, 'en-gb')));
  list.push(turn('sentence over a fan at -45 dBFS peak', said(sentence), fan(-45)));
  list.push(turn('sentence over a fan at -30 dBFS peak', said(sentence), fan(-30)));
  const first = said('Remind me to buy milk');
  const second = said('and call my sister after work.');
  for (const pauseMs of [300, 450, 600]) list.push(paused(`sentence with a ${pauseMs} ms pause`, first, pauseMs, second));
  list.push(paused('slow sentence with a 600 ms pause', said('Set a timer for', 130), 600, said('twenty minutes, please.', 130)));
  list.push(onset('fan (brown noise) at -25 dBFS peak', synth(4000, ['brownnoise'], ['gain', '-n', '-25'])));
  list.push(onset('running water (band-passed white noise) at -25 dBFS peak', synth(4000, ['whitenoise'], ['bandpass', '1500', '2k', 'tremolo', '7', '30', 'gain', '-n', '-25'])));
  list.push(onset('mains hum 50 Hz at -25 dBFS peak', synth(4000, ['sine', '50', 'sine', '100', 'sine', '150'], ['gain', '-n', '-25'])));
  list.push(onset('mains hum 60 Hz at -25 dBFS peak', synth(4000, ['sine', '60', 'sine', '120', 'sine', '180'], ['gain', '-n', '-25'])));
  list.push(onset('keyboard typing', keyboard(4000)));
  list.push(onset('door slam', doorSlam()));
  list.push(onset('music (plucked chords)', music()));
  list.push({ name: 'pure silence', kind: 'noise', pcm: silence(5000) });
  cached = list;
  return list;
}

/** Four plucked chords (C, Am, F, G), each a second, at about -10 dBFS peak. */
function music(): Buffer {
  const chords = [
    ['C4', 'E4', 'G4'],
    ['A3', 'C4', 'E4'],
    ['F3', 'A3', 'C4'],
    ['G3', 'B3', 'D4'],
  ];
  return Buffer.concat(chords.map((notes) => synth(1000, notes.flatMap((note) => ['pluck', note]), ['gain', '-n', '-10'])));
}
