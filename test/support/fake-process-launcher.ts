/**
 * A process launcher for the audio code with no sound card and no programs: it records every
 * launch (program, arguments, environment, process group) and hands back a FakeChild whose
 * output, stderr and exit the test drives.
 */
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AudioProcess, LaunchOptions, ProcessLauncher, RecordingCommand } from '../../src/audio/process-launcher.js';

export class FakeChild extends EventEmitter implements AudioProcess {
  pid: number | undefined;
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** Every signal sent to it, directly or to its group. */
  readonly signals: NodeJS.Signals[] = [];
  /** Signals it survives, like a player that hangs on SIGTERM. */
  readonly ignoring = new Set<NodeJS.Signals>();
  private readonly written: Buffer[] = [];
  private inputEnded = false;

  constructor(pid: number) {
    super();
    this.pid = pid;
    this.stdin.on('data', (chunk: Buffer) => this.written.push(chunk));
    this.stdin.on('end', () => (this.inputEnded = true));
  }

  /** What was written to its stdin. */
  get input(): Buffer {
    return Buffer.concat(this.written);
  }

  /** Whether its stdin was closed (the player was told there is no more audio). */
  get stdinEnded(): boolean {
    return this.inputEnded;
  }

  get exited(): boolean {
    return this.exitCode !== null || this.signalCode !== null;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exited) return false;
    this.signals.push(signal);
    if (!this.ignoring.has(signal)) this.exit(null, signal);
    return true;
  }

  /** Ends like a process: 'exit', its output closes, then 'close'. `keepOutputOpen`: something it started still holds stdout. */
  exit(code: number | null, signal: NodeJS.Signals | null = null, { keepOutputOpen = false } = {}): void {
    if (this.exited) return;
    this.exitCode = signal ? null : code;
    this.signalCode = signal;
    this.emit('exit', this.exitCode, signal);
    if (keepOutputOpen) return;
    this.stdout.end();
    this.stderr.end();
    setImmediate(() => this.emit('close', this.exitCode, signal));
  }

  /** Could not start (ENOENT ...): like node, 'error' then 'close', never 'exit'. */
  failToStart(command: string, code = 'ENOENT'): void {
    this.pid = undefined;
    const error = Object.assign(new Error(`spawn ${command} ${code}`), { code });
    this.emit('error', error);
    this.stdout.end();
    this.stderr.end();
    setImmediate(() => this.emit('close', -2, null));
  }
}

export interface Launch {
  /** spawn: a streaming player; record: SoX through the recording path; playFile: a file player. */
  kind: 'spawn' | 'record' | 'playFile';
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv | undefined;
  /** Leads its own process group. */
  detached: boolean;
  child: FakeChild;
}

export class FakeProcessLauncher implements ProcessLauncher {
  readonly launches: Launch[] = [];
  /** Signals sent to process groups, in order. */
  readonly groupSignals: Array<{ pid: number; signal: NodeJS.Signals }> = [];
  /** Programs findExecutable finds (by base name). */
  readonly installed = new Set(['sox', 'play', 'paplay', 'pacat', 'aplay', 'ffplay', 'afplay']);
  private nextPid = 4000;
  private failNext: string | undefined;

  /** The next launched child fails to start with this error code (after the launch returns, as with node). */
  failNextLaunch(code = 'ENOENT'): void {
    this.failNext = code;
  }

  get last(): Launch {
    const launch = this.launches.at(-1);
    if (!launch) throw new Error('nothing was launched');
    return launch;
  }

  spawn(command: string, args: string[], options: LaunchOptions): FakeChild {
    return this.start('spawn', command, args, options);
  }

  record(command: RecordingCommand): FakeChild {
    return this.start('record', command.cmd, command.args, { env: command.spawnOptions.env });
  }

  playFile(player: string, file: string, options: LaunchOptions): FakeChild {
    return this.start('playFile', player, [file], options);
  }

  signalGroup(pid: number, signal: NodeJS.Signals): void {
    const launch = this.launches.find((candidate) => candidate.child.pid === pid);
    if (!launch?.detached) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    this.groupSignals.push({ pid, signal });
    launch.child.kill(signal);
  }

  findExecutable(name: string): string | undefined {
    return this.installed.has(basename(name)) ? `/usr/bin/${basename(name)}` : undefined;
  }

  private start(kind: Launch['kind'], command: string, args: string[], options: LaunchOptions): FakeChild {
    const child = new FakeChild((this.nextPid += 1));
    this.launches.push({ kind, command, args, env: options.env, detached: options.detached === true, child });
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) setImmediate(() => child.failToStart(command, failure));
    return child;
  }
}
