/**
 * How audio processes start and are signalled: SoX for the microphone (through
 * node-record-lpcm16), streaming players (spawned directly) and file players (through
 * play-sound). Neither package takes a `spawn` of its own (each calls child_process.spawn
 * itself), so the seam is one level up: the recorder and the players take a ProcessLauncher,
 * the real one below uses the packages, and tests pass a fake that records every launch and
 * drives the child's output and exit (test/support/fake-process-launcher.ts).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../clock.js';

type ExitListener = (code: number | null, signal: NodeJS.Signals | null) => void;

/** The parts of a child process the audio code uses; node's ChildProcess has them all. */
export interface AudioProcess {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'exit' | 'close', listener: ExitListener): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
}

export interface LaunchOptions {
  env?: NodeJS.ProcessEnv;
  stdio?: Array<'pipe' | 'ignore'>;
  /** Its own process group (see OWN_PROCESS_GROUP in child-processes.ts). */
  detached?: boolean;
}

/** A SoX command line as SoxRecorder builds it. */
export interface RecordingCommand {
  cmd: string;
  args: string[];
  spawnOptions: { env: NodeJS.ProcessEnv };
}

export interface ProcessLauncher {
  /** Starts a program, like child_process.spawn (the streaming players). */
  spawn(command: string, args: string[], options: LaunchOptions): AudioProcess;
  /** Starts a recording; its raw audio comes on stdout. */
  record(command: RecordingCommand): AudioProcess;
  /** Starts a player that plays one file and exits (afplay, mpg123 ...). Its stdio is ignored. */
  playFile(player: string, file: string, options: LaunchOptions): AudioProcess;
  /** Signals a whole process group; throws (ESRCH) when `pid` leads none. */
  signalGroup(pid: number, signal: NodeJS.Signals): void;
  /** The full path of a command on the PATH of `env`, or undefined when it is not installed. */
  findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined;
}

/** What starting and stopping audio processes needs; default the real launcher and clock. */
export interface ProcessRuntime {
  launcher: ProcessLauncher;
  /** Grace times before SIGKILL, and guards on players that hang. */
  clock: Clock;
}

const require = createRequire(import.meta.url);

export const realLauncher: ProcessLauncher = {
  spawn: (command, args, options) => spawn(command, args, options),
  record: (command) => {
    const { record } = require('node-record-lpcm16') as typeof import('node-record-lpcm16');
    // command-recorder.cjs hands the library our command as it is (see recorder.ts).
    const recorder = fileURLToPath(new URL('./command-recorder.cjs', import.meta.url));
    return record({ recorder, command, audioType: 'raw' }).process;
  },
  playFile: (player, file, options) => {
    const playSound = require('play-sound') as typeof import('play-sound').default;
    // play-sound reports a player killed by a signal as success: the caller judges the exit itself.
    const child = playSound({ player }).play(file, { ...options }, () => {});
    if (!child) throw new Error(`play-sound could not start ${player}`);
    return child;
  },
  signalGroup: (pid, signal) => void process.kill(-pid, signal),
  findExecutable,
};

export const realProcessRuntime: ProcessRuntime = { launcher: realLauncher, clock: systemClock };

function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if (name.includes('/')) return isExecutableFile(name) ? name : undefined;
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.X_OK);
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}
