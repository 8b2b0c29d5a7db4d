/**
 * Microphone capture through SoX, driven by node-record-lpcm16: 16 kHz mono signed 16-bit
 * raw PCM. A small --buffer makes SoX deliver 20 ms chunks (its default is about 0.5 s)
 * and lose almost nothing when stopped.
 */
import { AssistantError } from '../errors.js';
import { realProcessRuntime, type ProcessRuntime, type RecordingCommand } from './process-launcher.js';
import { RecordingProcess } from './recording-process.js';
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
    const command = this.command();
    const sox = new RecordingProcess(command, this.runtime);
    const stop = (): void => void sox.stop();
    signal.addEventListener('abort', stop, { once: true });
    try {
      yield* sox.output();
      const outcome = await sox.outcome();
      const device = this.options.device ? `"${this.options.device}"` : 'the default input';
      switch (outcome.kind) {
        case 'stopped':
          return;
        case 'not started':
          throw new AssistantError(`Cannot start SoX (${command.cmd}): ${outcome.error.message}. ${SOX_INSTALL_HINT}`);
        case 'output closed':
          throw new AssistantError(`Recording stopped: ${device} ended the recording by itself (${command.cmd} closed its output but did not exit). Check the input device (--device).`);
        case 'exited': {
          const { code, signal: killedBy, stderr } = outcome;
          if (code !== 0 || killedBy !== null) {
            const how = killedBy ? `was killed by ${killedBy}` : `exited with code ${code}`;
            throw new AssistantError(`Recording failed: ${command.cmd} ${how}${stderr ? `: ${stderr}` : ''}. Check the input device (--device). ${SOX_INSTALL_HINT}`);
          }
          // A microphone never runs out: a recording that ends by itself means the device went away.
          if (this.live) throw new AssistantError(`Recording stopped: ${device} ended the recording by itself${stderr ? ` (${stderr})` : ''}. Check the input device (--device).`);
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await sox.close();
    }
  }
}
