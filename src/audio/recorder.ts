/**
 * Microphone capture through SoX, driven by node-record-lpcm16: 16 kHz mono signed 16-bit
 * raw PCM. A small --buffer makes SoX deliver 20 ms chunks (its default is about 0.5 s)
 * and lose almost nothing when stopped.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AssistantError, errorMessage } from '../errors.js';
import { stderrTail, stopChild, track } from './child-processes.js';
import { RECORDING_FORMAT } from './wav.js';

export interface Recorder {
  /** PCM chunks until the signal aborts (or the device fails, which throws). */
  record(options: { signal: AbortSignal }): AsyncIterable<Buffer>;
}

export interface SoxRecorderOptions {
  /** An input device: "driver:name" (e.g. "pulseaudio:mic"), or a name for AUDIODEV. Default: the system default. */
  device?: string | undefined;
  /** The SoX binary. Default "sox". */
  command?: string;
  env?: NodeJS.ProcessEnv;
}

export const SOX_INSTALL_HINT =
  'Install SoX: Debian/Ubuntu: sudo apt install sox libsox-fmt-all; macOS: brew install sox; Windows: choco install sox.portable (or use --text).';

export class SoxRecorder implements Recorder {
  constructor(private readonly options: SoxRecorderOptions = {}) {}

  /** Fails with the install hint when SoX is missing, before anything starts. */
  checkAvailable(): void {
    const result = spawnSync(this.options.command ?? 'sox', ['--version'], { stdio: 'ignore' });
    if (result.error) throw new AssistantError(`SoX is not installed (no "${this.options.command ?? 'sox'}" on PATH). ${SOX_INSTALL_HINT}`);
  }

  command(): { cmd: string; args: string[]; spawnOptions: { env: NodeJS.ProcessEnv } } {
    const env = { ...(this.options.env ?? process.env) };
    const { sampleRate, channels } = RECORDING_FORMAT;
    let input = ['-d'];
    const device = this.options.device;
    if (device) {
      const separator = device.indexOf(':');
      if (separator > 0) input = ['-t', device.slice(0, separator), device.slice(separator + 1)];
      else env.AUDIODEV = device;
    }
    const args = ['--buffer', '640', '-q', '-V1', ...input, '-r', String(sampleRate), '-c', String(channels), '-e', 'signed-integer', '-b', '16', '-t', 'raw', '-'];
    return { cmd: this.options.command ?? 'sox', args, spawnOptions: { env } };
  }

  async *record({ signal }: { signal: AbortSignal }): AsyncIterable<Buffer> {
    this.checkAvailable();
    const require = createRequire(import.meta.url);
    const { record } = require('node-record-lpcm16') as typeof import('node-record-lpcm16');
    const recording = record({
      recorder: fileURLToPath(new URL('./command-recorder.cjs', import.meta.url)),
      command: this.command(),
      audioType: 'raw',
    } as never);
    const child = track(recording.process);
    const tail = stderrTail(child);
    let stopping = false;
    // A failure rejects the wait in progress, if any, and every later one. Not one promise raced
    // against each chunk: while it is pending, each Promise.race leaves a reaction on it that
    // keeps that race's chunk reachable (nodejs/node#17469), so a session kept all its audio.
    let failed: AssistantError | undefined;
    let rejectWait: ((error: AssistantError) => void) | undefined;
    recording.stream().on('error', (error: unknown) => {
      if (stopping || failed) return;
      failed = new AssistantError(`Recording failed: ${errorMessage(error).split('\n')[0]} ${tail() || ''}`.trim() + ` Check the input device (--device). ${SOX_INSTALL_HINT}`);
      rejectWait?.(failed);
    });
    const unlessFailed = <T>(waiting: Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (failed) return reject(failed);
        rejectWait = reject;
        waiting.then(resolve, reject);
      }).finally(() => (rejectWait = undefined));
    const stop = (): void => {
      stopping = true;
      void stopChild(child);
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      const chunks = recording.stream()[Symbol.asyncIterator]();
      for (;;) {
        const next = await unlessFailed(chunks.next());
        if (next.done) break;
        yield next.value as Buffer;
      }
      if (!stopping && child.exitCode !== 0) await unlessFailed(new Promise((resolve) => setTimeout(resolve, 100)));
    } finally {
      signal.removeEventListener('abort', stop);
      stop();
    }
  }
}
