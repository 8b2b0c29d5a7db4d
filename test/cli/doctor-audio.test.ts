/**
 * `assistant doctor` on the virtual sound card: the default microphone and player, as a
 * person's machine has them. Runs serially with the other real-audio tests (one card).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TempHome } from '../support/cli.js';
import { useCliHarness } from '../support/harness.js';
import { soundCardFor } from '../support/sound-card.js';
import { waitUntil } from '../support/wait-for.js';

const card = soundCardFor('doctor-audio');

let home: TempHome;
useCliHarness((current) => ({ home } = current));

const LISTED_MODELS = { ASSISTANT_STT_MODEL: 'test-model', ASSISTANT_TTS_MODEL: 'gpt-4o-mini' };

/** The microphone line of doctor's output. */
function microphoneLine(stdout: string): string {
  return stdout.split('\n').find((line) => /^\S+ +microphone /.test(line)) ?? '';
}

/** Plays a long tone into the virtual microphone; resolves once PulseAudio has its stream. */
async function toneIntoMicrophone(): Promise<ChildProcess> {
  const tone = join(home.root, 'tone.wav');
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', tone, 'synth', '30', 'sine', '440', 'vol', '0.3']);
  const paplay = spawn('paplay', ['--device=micfeed', '--latency-msec=50', tone], { env: process.env, stdio: 'ignore' });
  await waitUntil(() => {
    const streams = JSON.parse(execFileSync('pactl', ['--format=json', 'list', 'sink-inputs'], { encoding: 'utf8', env: process.env })) as Array<{ properties: Record<string, string> }>;
    return streams.some((stream) => Number(stream.properties['application.process.id']) === paplay.pid);
  }, 'the tone to play into the microphone');
  return paplay;
}

describe.skipIf(!card.ok)('assistant doctor with a (virtual) microphone and speaker', () => {
  it('records a second from the default microphone, plays through the default player, and exits 0', async () => {
    const paplay = await toneIntoMicrophone();
    try {
      const result = await home.run(['doctor'], { env: LISTED_MODELS });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(microphoneLine(result.stdout)).toMatch(/^ok +microphone +1\.0 s from the default input, level -\d+ dBFS$/);
      expect(result.stdout).toMatch(/^ok +player +\S*play plays WAV$/m);
    } finally {
      paplay.kill('SIGTERM');
    }
  });

  it('calls the microphone silent when nothing reaches it', async () => {
    // The virtual microphone with nothing played into it: what a muted or unplugged input records.
    const result = await home.run(['doctor', '--device', 'pulseaudio:mic'], { env: LISTED_MODELS });
    expect(result.code).toBe(1);
    expect(microphoneLine(result.stdout)).toMatch(/^problem +microphone +1\.0 s from "pulseaudio:mic" is silent \((all zeros|-\d+ dBFS)\): the input is muted or not connected\. Fix: /);
  });
});
