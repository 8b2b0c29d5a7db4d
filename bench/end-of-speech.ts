/**
 * End-of-speech detection: from the real end of speech in fed audio to the detector's
 * decision, and how many fixtures are cut early (before the speech really ended, or split
 * in two). Generated speech in quiet, noisy and silent rooms, and espeak-ng sentences when
 * espeak-ng is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { VoiceActivityDetector } from '../src/audio/voice-activity.js';
import { mix, noise, silence, speechLike, SAMPLE_RATE } from '../test/support/audio-fixtures.js';
import { ms, summary, table } from './stats.js';

const SILENCE_MS = 700;

interface Fixture {
  name: string;
  pcm: Buffer;
  /** Where the sound really ends, in ms. */
  endMs: number;
}

function lastSound(pcm: Buffer, floor: number): number {
  for (let offset = pcm.length - 2; offset >= 0; offset -= 2) if (Math.abs(pcm.readInt16LE(offset)) > floor) return ((offset + 2) / 2 / SAMPLE_RATE) * 1000;
  return 0;
}

function fixtures(): Fixture[] {
  const list: Fixture[] = [];
  const rooms: Array<[string, (milliseconds: number, seed: number) => Buffer]> = [
    ['silent room', (milliseconds) => silence(milliseconds)],
    ['quiet room (-70 dBFS)', (milliseconds, seed) => noise(milliseconds, -70, seed)],
    ['noisy room (-45 dBFS)', (milliseconds, seed) => noise(milliseconds, -45, seed)],
  ];
  for (const [room, make] of rooms) {
    for (const [index, length] of [800, 1500, 2600, 4000].entries()) {
      const speech = speechLike(length, -18);
      const lead = make(700, index + 1);
      list.push({ name: `generated ${length} ms, ${room}`, pcm: Buffer.concat([lead, mix(speech, make(length, index + 7)), make(2500, index + 13)]), endMs: 700 + lastSound(speech, 50) });
    }
  }
  if (!spawnSync('sh', ['-c', 'command -v espeak-ng && command -v sox']).status) {
    for (const sentence of ['What is the weather like today?', 'Remind me to call my sister at five.', 'Stop.', 'Could you summarize the meeting notes, please?']) {
      const wav = execFileSync('espeak-ng', ['--stdout', sentence]);
      const pcm = execFileSync('sox', ['-q', '-t', 'wav', '-', '-t', 'raw', '-r', '16000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-'], { input: wav });
      list.push({ name: `espeak-ng "${sentence}"`, pcm: Buffer.concat([silence(600), pcm, silence(2500)]), endMs: 600 + lastSound(pcm, 300) });
    }
  }
  return list;
}

export function endOfSpeech(): string {
  const rows: string[][] = [];
  const delays: number[] = [];
  let early = 0;
  for (const fixture of fixtures()) {
    const detector = new VoiceActivityDetector({ sampleRate: SAMPLE_RATE, trailingSilenceMilliseconds: SILENCE_MS });
    const decisions: number[] = [];
    for (let offset = 0; offset < fixture.pcm.length; offset += 640) {
      for (const event of detector.push(fixture.pcm.subarray(offset, offset + 640))) {
        if (event.type === 'utterance') decisions.push(((offset + 640) / 2 / SAMPLE_RATE) * 1000);
      }
    }
    const cutEarly = decisions.length !== 1 || decisions[0]! < fixture.endMs;
    if (cutEarly) early += 1;
    const delay = decisions.length > 0 ? decisions.at(-1)! - fixture.endMs : Number.NaN;
    if (!Number.isNaN(delay)) delays.push(delay);
    rows.push([fixture.name, decisions.length === 0 ? 'never decided' : ms(delay), String(decisions.length), cutEarly ? '**yes**' : 'no']);
  }
  const s = summary(delays);
  const over = s.max - SILENCE_MS;
  return [
    table(['fixture', 'decision after the real end', 'utterances', 'cut early'], rows),
    '',
    `Configured trailing silence ${SILENCE_MS} ms. Decision delay median ${ms(s.median)}, min ${ms(s.min)}, max ${ms(s.max)}: ` +
      `at most ${ms(Math.max(0, over))} over the silence (target 50 ms: **${over <= 50 ? 'met' : 'missed'}**); ` +
      `cut early: ${early} of ${rows.length} (target 0: **${early === 0 ? 'met' : 'missed'}**).`,
  ].join('\n');
}
