/**
 * Runs the built CLI (bin/assistant.js) as a subprocess, the way a person would, in a
 * temp home with its own data and config directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/assistant.js');

/** Planted in every test's environment so tests can prove it never leaks. */
export const PLANTED_KEY = 'sk-test-PLANTED-7f3a9c1e5b2d4f60';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Piped to stdin; undefined leaves stdin empty and closed (like < /dev/null). */
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Leave stdin open for the test to write to (start only). */
  keepStdinOpen?: boolean;
}

export class TempHome {
  readonly root = mkdtempSync(join(tmpdir(), 'assistant-test-'));
  readonly dataDirectory = join(this.root, 'data');
  readonly configDirectory = join(this.root, 'config');
  readonly databasePath = join(this.dataDirectory, 'assistant', 'assistant.db');

  constructor(private readonly baseURL: string) {}

  environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: this.root,
      XDG_DATA_HOME: this.dataDirectory,
      XDG_CONFIG_HOME: this.configDirectory,
      OPENAI_BASE_URL: this.baseURL,
      OPENAI_API_KEY: PLANTED_KEY,
      ASSISTANT_MAX_RETRIES: '0',
      TZ: 'UTC',
      // The virtual sound card, when the audio tests started one (test/support/sound-card.ts).
      PULSE_SERVER: process.env.PULSE_SERVER,
      AUDIODRIVER: process.env.PULSE_SERVER ? 'pulseaudio' : undefined,
      ...extra,
    };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    return env;
  }

  start(args: string[], options: RunOptions = {}): ChildProcess {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? this.root,
      env: this.environment(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const seen = { stdout: '' };
    child.stdout!.on('data', (chunk: Buffer | string) => (seen.stdout += chunk.toString()));
    outputSoFar.set(child, seen);
    if (options.input !== undefined) child.stdin!.end(options.input);
    else if (!options.keepStdinOpen) child.stdin!.end();
    return child;
  }

  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return collect(this.start(args, options));
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

const outputSoFar = new WeakMap<ChildProcess, { stdout: string }>();

/** Resolves once the child's stdout (since it started) contains `text`. */
export async function waitForOutput(child: ChildProcess, text: string, timeoutMs = 15_000): Promise<void> {
  const seen = outputSoFar.get(child);
  if (!seen) throw new Error('waitForOutput needs a child made by TempHome.start');
  const start = Date.now();
  while (!seen.stdout.includes(text)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before printing ${JSON.stringify(text)}; printed ${JSON.stringify(seen.stdout)}`);
    if (Date.now() - start > timeoutMs) throw new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms; printed ${JSON.stringify(seen.stdout)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
