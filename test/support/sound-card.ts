/**
 * The virtual sound card (virtual-sound-card.sh) from tests: start it, speak into its
 * microphone, listen to its speaker. Where PulseAudio, SoX or espeak-ng are missing, the
 * audio tests are skipped with a message saying how to enable them.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decibels } from '../../src/audio/voice-activity.js';

const SCRIPT = resolve(import.meta.dirname, 'virtual-sound-card.sh');
export const ENABLE_HINT = 'install them (apt install sox libsox-fmt-all pulseaudio pulseaudio-utils espeak-ng); CI does (.ci/run)';

function installed(command: string): boolean {
  return !spawnSync('sh', ['-c', `command -v ${command}`]).error && spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Starts the sound card and sets PULSE_SERVER for this process; returns why not when it cannot. */
export function startSoundCard(): { ok: true } | { ok: false; reason: string } {
  const missing = ['pulseaudio', 'pactl', 'paplay', 'sox', 'espeak-ng'].filter((command) => !installed(command));
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(', ')}: ${ENABLE_HINT}` };
  try {
    const output = execFileSync('bash', [SCRIPT, 'start'], { encoding: 'utf8', timeout: 20_000 });
    const server = /PULSE_SERVER=(\S+)/.exec(output)?.[1];
    if (!server) return { ok: false, reason: `the sound card script printed no PULSE_SERVER: ${output}` };
    process.env.PULSE_SERVER = server;
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `the virtual sound card did not start: ${(error as Error).message}` };
  }
}

/**
 * The sound card for one suite of real-audio tests (its name in the message): skipped, saying
 * why and how to enable it, where the card cannot start; under ASSISTANT_REQUIRE_AUDIO (CI sets
 * it) that fails the run instead, so the audio tests can never be skipped there unnoticed.
 */
export function soundCardFor(suite: string): { ok: boolean } {
  const card = startSoundCard();
  if (!card.ok) {
    if (process.env.ASSISTANT_REQUIRE_AUDIO) throw new Error(`the real-audio tests cannot run: ${card.reason}`);
    console.warn(`\n[${suite}] SKIPPED the real-audio tests: ${card.reason}\n`);
  }
  return card;
}

/** The loudest 100 ms of 16 kHz mono PCM (a recording of the speaker), in dBFS. */
export function peakLevel(pcm: Buffer): number {
  let peak = -100;
  for (let offset = 0; offset + 3200 <= pcm.length; offset += 3200) peak = Math.max(peak, decibels(pcm.subarray(offset, offset + 3200)));
  return peak;
}

/**
 * Silence said before the words. The recorder spends its first 300 ms of audio learning the
 * room's noise: this covers them in audio time, so a test need only wait until the recorder
 * is connected (recordingFromMicrophone), not for a guessed number of milliseconds.
 */
const LEAD_IN_SECONDS = 0.8;

/** Says `text` into the virtual microphone (espeak-ng after a moment of silence, then paplay into micfeed); resolves when played. */
export async function speakIntoMicrophone(text: string, directory: string): Promise<void> {
  const spoken = resolve(directory, `spoken-${Date.now()}.wav`);
  const file = resolve(directory, `spoken-${Date.now()}-lead-in.wav`);
  execFileSync('espeak-ng', ['-w', spoken, text]);
  execFileSync('sox', [spoken, file, 'pad', String(LEAD_IN_SECONDS), '0']);
  await playIntoMicrophone(file);
}

export function playIntoMicrophone(file: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('paplay', ['--device=micfeed', '--latency-msec=50', file], { env: process.env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`paplay exited ${code}`))));
  });
}

/** Records what the virtual speaker plays, as 16 kHz mono PCM, until stop() is called; soFar() is what arrived until now. */
export function recordSpeaker(): { soFar(): Buffer; stop(): Promise<Buffer> } {
  const child = spawn('sox', ['-q', '-t', 'pulseaudio', 'speaker.monitor', '-r', '16000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-t', 'raw', '-'], {
    env: { ...process.env, AUDIODRIVER: 'pulseaudio' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    soFar: () => Buffer.concat(chunks),
    stop: () =>
      new Promise((resolvePromise) => {
        child.once('close', () => resolvePromise(Buffer.concat(chunks)));
        child.kill('SIGTERM');
      }),
  };
}

/** Whether a process started by `ancestor` (its pid) records from the virtual microphone: its stream is connected. */
export function recordingFromMicrophone(ancestor: number): boolean {
  return streamsOf('source-outputs', 'mic', ancestor) > 0;
}

/** Whether a process started by `ancestor` (its pid) plays into the virtual speaker. */
export function playingOnSpeaker(ancestor: number): boolean {
  return streamsOf('sink-inputs', 'speaker', ancestor) > 0;
}

/** PulseAudio's recording (source-outputs) or playing (sink-inputs) streams on `device` that belong to descendants of `ancestor`. */
function streamsOf(kind: 'source-outputs' | 'sink-inputs', device: string, ancestor: number): number {
  const devices = pactlJson<Array<{ index: number; name: string }>>(kind === 'source-outputs' ? 'sources' : 'sinks');
  const index = devices.find((candidate) => candidate.name === device)?.index;
  const streams = pactlJson<Array<{ source?: number; sink?: number; properties: Record<string, string> }>>(kind);
  return streams.filter((stream) => {
    const pid = Number(stream.properties['application.process.id']);
    return (stream.source ?? stream.sink) === index && Number.isInteger(pid) && descendsFrom(pid, ancestor);
  }).length;
}

function pactlJson<T>(what: string): T {
  return JSON.parse(execFileSync('pactl', ['--format=json', 'list', what], { encoding: 'utf8', env: process.env })) as T;
}

function descendsFrom(pid: number, ancestor: number): boolean {
  for (let current = pid; current > 1; current = parentOf(current)) if (current === ancestor) return true;
  return false;
}

/** The parent's pid, from /proc (0 once the process is gone). */
function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state ppid ...": the command may hold spaces and parentheses.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** True once the recording holds sound (a 100 ms block above -40 dBFS) followed by at least `quietMs` of silence (below -60 dBFS). */
export function soundThenSilence(pcm: Buffer, quietMs = 400): boolean {
  const block = 3200; // 100 ms of 16 kHz 16-bit mono
  const levels: number[] = [];
  for (let offset = 0; offset + block <= pcm.length; offset += block) levels.push(decibels(pcm.subarray(offset, offset + block)));
  const lastSound = levels.findLastIndex((level) => level > -40);
  if (lastSound === -1) return false;
  const quiet = levels.slice(lastSound + 1);
  return quiet.length * 100 >= quietMs && quiet.every((level) => level < -60);
}

/** The names of running processes whose command line contains `text`, other than this test's own. */
export function processesMatching(text: string): string[] {
  const result = spawnSync('pgrep', ['-af', text], { encoding: 'utf8' });
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.includes('pgrep') && !line.includes('micfeed') && !line.includes('/dev/zero') && !line.includes('speaker.monitor'));
}
