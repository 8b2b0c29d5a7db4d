/**
 * Microphone capture through SoX, driven by node-record-lpcm16: 16 kHz mono signed 16-bit
 * raw PCM. A small --buffer makes SoX deliver 20 ms chunks (its default is about 0.5 s)
 * and lose almost nothing when stopped.
 */
import { AssistantError } from '../errors.js';
import { stderrTail, stopChild, track } from './child-processes.js';
import { realProcessRuntime, type ProcessRuntime, type RecordingCommand } from './process-launcher.js';
import { RECORDING_FORMAT } from './wav.js';

export interface Recorder {
  /**
   * PCM chunks until the signal aborts. A live device that fails or stops by itself throws;
   * a file input ends normally when it is exhausted.
   */
  record(options: { signal: AbortSignal }): AsyncIterable<Buffer>;
  /**
   * False when the input is a file (e.g. --device wav:questions.wav): it is read faster
   * than real time and cannot hear the assistant, so nothing in it is skipped while the
   * assistant speaks, and its end ends the session. Default true.
   */
  readonly live?: boolean;
}

/** SoX's audio device drivers; any other "type:name" device is a file SoX reads (wav:, flac:, raw: ...). */
const AUDIO_DRIVERS = new Set(['alsa', 'ao', 'coreaudio', 'oss', 'pulseaudio', 'sndio', 'sunau', 'waveaudio']);

export interface SoxRecorderOptions {
  /** An input device: "driver:name" (e.g. "pulseaudio:mic"), or a name for AUDIODEV. Default: the system default. */
  device?: string | undefined;
  /** The SoX binary. Default "sox". */
  command?: string;
  env?: NodeJS.ProcessEnv;
  /** How SoX is started and stopped. Default: node-record-lpcm16 and the real clock. */
  runtime?: ProcessRuntime;
}

/**
 * How long SoX may take, once it has exited, to close its output (something it started
 * may hold it open), or, once its output has ended, to exit. Past it the recording is over.
 */
export const RECORDING_END_GRACE_MILLISECONDS = 1000;

export const SOX_INSTALL_HINT =
  'Install SoX: Debian/Ubuntu: sudo apt install sox libsox-fmt-all; macOS: brew install sox; Windows: choco install sox.portable (or use --text).';

export class SoxRecorder implements Recorder {
  readonly live: boolean;
  private readonly runtime: ProcessRuntime;

  constructor(private readonly options: SoxRecorderOptions = {}) {
    this.runtime = options.runtime ?? realProcessRuntime;
    const separator = options.device?.indexOf(':') ?? -1;
    this.live = separator <= 0 || AUDIO_DRIVERS.has(options.device!.slice(0, separator));
  }

  /** Fails with the install hint when SoX is missing, before anything starts. */
  checkAvailable(): void {
    if (this.runtime.launcher.findExecutable(this.options.command ?? 'sox', this.options.env ?? process.env) === undefined) throw new AssistantError(`SoX is not installed (no "${this.options.command ?? 'sox'}" on PATH). ${SOX_INSTALL_HINT}`);
  }

  command(): RecordingCommand {
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
    const { launcher, clock } = this.runtime;
    const command = this.command();
    const child = track(launcher.record(command), launcher);
    const tail = stderrTail(child);
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let startError: Error | undefined;
    child.on('error', (error) => (startError = error));
    const stream = child.stdout!;
    // node-record-lpcm16 reports a non-zero exit as a stream error; the exit itself is read below.
    stream.on('error', () => {});
    const outputEnded = new AbortController();
    let chunks = 0;
    let abandoned = false;
    let outputGuard = Promise.resolve();
    child.once('exit', (code, killedBy) => {
      exit = { code, signal: killedBy };
      // SoX is gone, but something it started may hold its output open: once it has been
      // quiet for the grace time, the recording is over. What is still in the pipe is read first.
      outputGuard = (async () => {
        let seen = -1;
        while (seen !== chunks || stream.readableLength > 0) {
          seen = chunks;
          await clock.sleep(RECORDING_END_GRACE_MILLISECONDS, outputEnded.signal);
        }
        abandoned = true;
        stream.destroy();
      })().catch(() => {}); // the output ended in time
    });
    const closed = new Promise<void>((resolve) =>
      child.once('close', (code, killedBy) => {
        exit ??= { code, signal: killedBy };
        resolve();
      }),
    );
    let stopping = false;
    const stop = (): void => {
      stopping = true;
      void stopChild(child, this.runtime);
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      try {
        for await (const chunk of stream) {
          chunks += 1;
          yield chunk as Buffer;
        }
      } catch {
        // The stream ended with an error: the exit status below says why.
      }
      outputEnded.abort();
      if (stopping) return;
      if (!abandoned) {
        // The exit status comes with 'close', once stderr is read too; a SoX that closed its output but runs on has stopped recording all the same.
        const waited = new AbortController();
        await Promise.race([closed, clock.sleep(RECORDING_END_GRACE_MILLISECONDS, waited.signal).catch(() => {})]);
        waited.abort();
      }
      if (stopping) return;
      const detail = tail();
      const device = this.options.device ? `"${this.options.device}"` : 'the default input';
      if (startError) throw new AssistantError(`Cannot start SoX (${command.cmd}): ${startError.message}. ${SOX_INSTALL_HINT}`);
      if (exit === undefined) throw new AssistantError(`Recording stopped: ${device} ended the recording by itself (${command.cmd} closed its output but did not exit). Check the input device (--device).`);
      if (exit.code !== 0 || exit.signal !== null) {
        const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
        throw new AssistantError(`Recording failed: ${command.cmd} ${how}${detail ? `: ${detail}` : ''}. Check the input device (--device). ${SOX_INSTALL_HINT}`);
      }
      // A microphone never runs out: a recording that ends by itself means the device went away.
      if (this.live) throw new AssistantError(`Recording stopped: ${device} ended the recording by itself${detail ? ` (${detail})` : ''}. Check the input device (--device).`);
    } finally {
      signal.removeEventListener('abort', stop);
      stopping = true;
      outputEnded.abort();
      await stopChild(child, this.runtime);
      await outputGuard;
    }
  }
}
