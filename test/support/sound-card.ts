/**
 * The virtual sound card (virtual-sound-card.sh) from tests: start it, speak into its
 * microphone, listen to its speaker. Where PulseAudio, SoX or espeak-ng are missing, the
 * audio tests are skipped with a message saying how to enable them.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

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

/** Says `text` into the virtual microphone (espeak-ng, then paplay into micfeed); resolves when done. */
export async function speakIntoMicrophone(text: string, directory: string): Promise<void> {
  const file = resolve(directory, `spoken-${Date.now()}.wav`);
  execFileSync('espeak-ng', ['-w', file, text]);
  await playIntoMicrophone(file);
}

export function playIntoMicrophone(file: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('paplay', ['--device=micfeed', '--latency-msec=50', file], { env: process.env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`paplay exited ${code}`))));
  });
}

/** Records what the virtual speaker plays, as 16 kHz mono PCM, until stop() is called. */
export function recordSpeaker(): { stop(): Promise<Buffer> } {
  const child = spawn('sox', ['-q', '-t', 'pulseaudio', 'speaker.monitor', '-r', '16000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-t', 'raw', '-'], {
    env: { ...process.env, AUDIODRIVER: 'pulseaudio' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    stop: () =>
      new Promise((resolvePromise) => {
        child.once('close', () => resolvePromise(Buffer.concat(chunks)));
        child.kill('SIGTERM');
      }),
  };
}

/** The names of running processes whose command line contains `text`, other than this test's own. */
export function processesMatching(text: string): string[] {
  const result = spawnSync('pgrep', ['-af', text], { encoding: 'utf8' });
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.includes('pgrep') && !line.includes('micfeed') && !line.includes('/dev/zero') && !line.includes('speaker.monitor'));
}
