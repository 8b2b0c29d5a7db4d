/**
 * Playing synthesized speech. A streaming player is one long-lived process fed raw PCM on
 * stdin, clip after clip: no gap between sentences, no overlap, and audio starts while it
 * is still downloading. Players that can only play files go through play-sound, a clip at
 * a time. Every player is named explicitly: auto-detection picks players that play WAV as
 * silence or MP3 as noise.
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssistantError } from '../errors.js';
import { OWN_PROCESS_GROUP, findExecutable, stderrTail, stopChild, track } from './child-processes.js';
import { encodeWav, type PcmFormat } from './wav.js';

export interface AudioSink {
  /** Queues PCM; resolves once the player has taken it. */
  write(pcm: Uint8Array): Promise<void>;
  /** The end of one clip (a sentence): file players play what they have now. */
  endClip(): Promise<void>;
  /** No more audio: resolves when all of it has been played. */
  finish(): Promise<void>;
  /** Stops at once; what was not played is dropped. */
  stop(): Promise<void>;
}

export interface Player {
  readonly name: string;
  open(format: PcmFormat): AudioSink;
}

type Spawn = typeof nodeSpawn;

/** Arguments that make each player read raw signed 16-bit little-endian PCM from stdin. */
const STREAMING_ARGUMENTS: Record<string, (format: PcmFormat) => string[]> = {
  play: (f) => ['-q', '-V1', '-t', 'raw', '-r', String(f.sampleRate), '-e', 'signed-integer', '-b', '16', '-c', String(f.channels), '-'],
  aplay: (f) => ['-q', '-t', 'raw', '-f', 'S16_LE', '-r', String(f.sampleRate), '-c', String(f.channels)],
  paplay: (f) => ['--raw', '--format=s16le', `--rate=${f.sampleRate}`, `--channels=${f.channels}`],
  pacat: (f) => ['--playback', '--raw', '--format=s16le', `--rate=${f.sampleRate}`, `--channels=${f.channels}`],
  ffplay: (f) => ['-nodisp', '-autoexit', '-loglevel', 'error', '-f', 's16le', '-ar', String(f.sampleRate), '-ch_layout', f.channels === 1 ? 'mono' : 'stereo', '-i', '-'],
};

export interface PlayerOptions {
  env?: NodeJS.ProcessEnv;
  spawn?: Spawn;
  extraArguments?: string[];
  /**
   * How to go on without speech, in the words of the command at hand, for the advice in
   * player errors: "leave out --speak" (ask), "use --mute" (talk). Default "turn speech off".
   */
  withoutSpeech?: string;
}

export function playerInstallHint(withoutSpeech = 'turn speech off'): string {
  return `Install one: Debian/Ubuntu: sudo apt install sox (play) or pulseaudio-utils (paplay); macOS: brew install sox. Or ${withoutSpeech}.`;
}

/** The player named in the configuration ("play", "paplay", "aplay", "ffplay", "pacat", or any file player such as "afplay"). */
export function createPlayer(name: string, options: PlayerOptions = {}): Player {
  const executable = findExecutable(name, options.env);
  if (!executable) throw new AssistantError(`The audio player "${name}" is not installed. ${playerInstallHint(options.withoutSpeech)}`);
  const base = name.split('/').pop()!;
  const streaming = STREAMING_ARGUMENTS[base];
  if (streaming) return new StreamingPlayer(executable, streaming, options);
  return new FilePlayer(executable, options.withoutSpeech ?? 'turn speech off');
}

class StreamingPlayer implements Player {
  constructor(
    readonly name: string,
    private readonly argumentsFor: (format: PcmFormat) => string[],
    private readonly options: PlayerOptions,
  ) {}

  open(format: PcmFormat): AudioSink {
    const spawn = this.options.spawn ?? nodeSpawn;
    const child = track(
      spawn(this.name, [...(this.options.extraArguments ?? []), ...this.argumentsFor(format)], {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: this.options.env ?? process.env,
        ...OWN_PROCESS_GROUP,
      }),
    );
    return new ProcessSink(child, this.name, format, this.options.withoutSpeech ?? 'turn speech off');
  }
}

class ProcessSink implements AudioSink {
  private stopped = false;
  private bytes = 0;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly tail: () => string;
  private spawnError: Error | undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
    private readonly format: PcmFormat,
    private readonly withoutSpeech: string,
  ) {
    this.tail = stderrTail(child);
    child.on('error', (error) => (this.spawnError = error));
    child.stdin!.on('error', () => {}); // EPIPE when the player dies; reported through its exit
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  async write(pcm: Uint8Array): Promise<void> {
    if (this.stopped) return;
    this.failIfGone();
    this.bytes += pcm.byteLength;
    if (!this.child.stdin!.write(pcm)) {
      await Promise.race([new Promise((resolve) => this.child.stdin!.once('drain', resolve)), this.exited]);
      this.failIfGone();
    }
  }

  async endClip(): Promise<void> {}

  async finish(): Promise<void> {
    if (this.stopped) return;
    this.child.stdin!.end();
    // A player that hangs (no sound server) must not hang us: allow the audio's length plus slack.
    const seconds = this.bytes / (this.format.sampleRate * this.format.channels * 2);
    const guard = setTimeout(() => void stopChild(this.child), (seconds + 10) * 1000);
    const { code, signal } = await this.exited;
    clearTimeout(guard);
    if (!this.stopped && (code !== 0 || signal !== null)) throw this.failure(code, signal);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await stopChild(this.child, 200);
  }

  private failIfGone(): void {
    if (this.spawnError) throw new AssistantError(`Cannot start the audio player ${this.name}: ${this.spawnError.message}. ${playerInstallHint(this.withoutSpeech)}`);
    if (this.child.exitCode !== null || this.child.signalCode !== null) throw this.failure(this.child.exitCode, this.child.signalCode);
  }

  private failure(code: number | null, signal: NodeJS.Signals | null): AssistantError {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const detail = this.tail();
    return new AssistantError(`The audio player ${this.name} ${how}${detail ? `: ${detail}` : ''}. Is a sound server running? Choose another with --player, or ${this.withoutSpeech}.`);
  }
}

/** For players that only take files (afplay, mpg123 ...): each clip becomes a temporary WAV. */
class FilePlayer implements Player {
  constructor(
    readonly name: string,
    private readonly withoutSpeech: string,
  ) {}

  open(format: PcmFormat): AudioSink {
    const player = this.name;
    const withoutSpeech = this.withoutSpeech;
    let pending: Uint8Array[] = [];
    let current: ChildProcess | null = null;
    let stopped = false;
    const directory = mkdtempSync(join(tmpdir(), 'assistant-audio-'));
    let clips = 0;
    const playPending = async (): Promise<void> => {
      if (stopped || pending.length === 0) return;
      const file = join(directory, `clip-${(clips += 1)}.wav`);
      writeFileSync(file, encodeWav(Buffer.concat(pending), format), { mode: 0o600 });
      pending = [];
      const { default: playSound } = await import('play-sound');
      await new Promise<void>((resolve, reject) => {
        current = playSound({ player }).play(file, { ...OWN_PROCESS_GROUP }, (error) => {
          current = null;
          if (error && !stopped) reject(new AssistantError(`The audio player ${player} failed: ${error.message}. Choose another with --player, or ${withoutSpeech}.`));
          else resolve();
        });
        if (current) track(current);
      });
    };
    return {
      write: async (pcm) => {
        if (!stopped) pending.push(pcm);
      },
      endClip: playPending,
      finish: async () => {
        try {
          await playPending();
        } finally {
          rmSync(directory, { recursive: true, force: true });
        }
      },
      stop: async () => {
        stopped = true;
        if (current) await stopChild(current, 200);
        rmSync(directory, { recursive: true, force: true });
      },
    };
  }
}
