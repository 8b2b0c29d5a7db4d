/**
 * Playing synthesized speech. A streaming player is one long-lived process fed raw PCM on
 * stdin, clip after clip: no gap between sentences, no overlap, and audio starts while it
 * is still downloading. Players that can only play files go through play-sound, a clip at
 * a time. Every player is named explicitly: auto-detection picks players that play WAV as
 * silence or MP3 as noise.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssistantError } from '../errors.js';
import { OWN_PROCESS_GROUP, hasExited, stderrTail, stopChild, track } from './child-processes.js';
import { realProcessRuntime, type AudioProcess, type ProcessRuntime } from './process-launcher.js';
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
  /** How players are started and stopped. Default: the real processes and clock. */
  runtime?: ProcessRuntime;
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
  const runtime = options.runtime ?? realProcessRuntime;
  const executable = runtime.launcher.findExecutable(name, options.env ?? process.env);
  if (!executable) throw new AssistantError(`The audio player "${name}" is not installed. ${playerInstallHint(options.withoutSpeech)}`);
  const base = name.split('/').pop()!;
  const streaming = STREAMING_ARGUMENTS[base];
  if (streaming) return new StreamingPlayer(executable, streaming, options, runtime);
  return new FilePlayer(executable, options.withoutSpeech ?? 'turn speech off', runtime);
}

class StreamingPlayer implements Player {
  constructor(
    readonly name: string,
    private readonly argumentsFor: (format: PcmFormat) => string[],
    private readonly options: PlayerOptions,
    private readonly runtime: ProcessRuntime,
  ) {}

  open(format: PcmFormat): AudioSink {
    const child = track(
      this.runtime.launcher.spawn(this.name, [...(this.options.extraArguments ?? []), ...this.argumentsFor(format)], {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: this.options.env ?? process.env,
        ...OWN_PROCESS_GROUP,
      }),
      this.runtime.launcher,
    );
    return new ProcessSink(child, this.name, format, this.options.withoutSpeech ?? 'turn speech off', this.runtime);
  }
}

class ProcessSink implements AudioSink {
  private stopped = false;
  private bytes = 0;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly tail: () => string;
  private spawnError: Error | undefined;

  constructor(
    private readonly child: AudioProcess,
    private readonly name: string,
    private readonly format: PcmFormat,
    private readonly withoutSpeech: string,
    private readonly runtime: ProcessRuntime,
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
    const exited = new AbortController();
    const guard = this.runtime.clock.sleep((seconds + 10) * 1000, exited.signal).then(
      () => stopChild(this.child, this.runtime),
      () => {}, // it exited in time
    );
    const { code, signal } = await this.exited;
    exited.abort();
    await guard;
    if (!this.stopped && (code !== 0 || signal !== null)) throw this.failure(code, signal);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await stopChild(this.child, this.runtime, 200);
  }

  private failIfGone(): void {
    if (this.spawnError) throw new AssistantError(`Cannot start the audio player ${this.name}: ${this.spawnError.message}. ${playerInstallHint(this.withoutSpeech)}`);
    if (hasExited(this.child)) throw this.failure(this.child.exitCode, this.child.signalCode);
  }

  private failure(code: number | null, signal: NodeJS.Signals | null): AssistantError {
    return playerFailure(this.name, code, signal, this.tail(), this.withoutSpeech);
  }
}

function playerFailure(name: string, code: number | null, signal: NodeJS.Signals | null, detail: string, withoutSpeech: string): AssistantError {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return new AssistantError(`The audio player ${name} ${how}${detail ? `: ${detail}` : ''}. Is a sound server running? Choose another with --player, or ${withoutSpeech}.`);
}

/** For players that only take files (afplay, mpg123 ...): each clip becomes a temporary WAV. */
class FilePlayer implements Player {
  constructor(
    readonly name: string,
    private readonly withoutSpeech: string,
    private readonly runtime: ProcessRuntime,
  ) {}

  open(format: PcmFormat): AudioSink {
    const { name: player, withoutSpeech, runtime } = this;
    let pending: Uint8Array[] = [];
    let current: AudioProcess | null = null;
    let stopped = false;
    const directory = mkdtempSync(join(tmpdir(), 'assistant-audio-'));
    let clips = 0;
    const playPending = async (): Promise<void> => {
      if (stopped || pending.length === 0) return;
      const file = join(directory, `clip-${(clips += 1)}.wav`);
      writeFileSync(file, encodeWav(Buffer.concat(pending), format), { mode: 0o600 });
      pending = [];
      const child = track(runtime.launcher.playFile(player, file, { ...OWN_PROCESS_GROUP }), runtime.launcher);
      current = child;
      // The outcome comes from the child itself: play-sound's callback calls a player killed by a signal a success.
      const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('close', (code, signal) => resolve({ code, signal }));
      });
      current = null;
      if (stopped) return;
      if (outcome.error) throw new AssistantError(`Cannot start the audio player ${player}: ${outcome.error.message}. ${playerInstallHint(withoutSpeech)}`);
      if (outcome.code !== 0 || outcome.signal !== null) throw playerFailure(player, outcome.code, outcome.signal, '', withoutSpeech);
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
        if (current) await stopChild(current, runtime, 200);
        rmSync(directory, { recursive: true, force: true });
      },
    };
  }
}
