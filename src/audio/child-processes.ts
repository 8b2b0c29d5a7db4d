/**
 * Every audio child (SoX, the player) is tracked here, so none outlives `assistant`,
 * whatever ends it: a normal exit, an error, or a signal.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { delimiter, join } from 'node:path';

const alive = new Set<ChildProcess>();
let hooked = false;

export function track(child: ChildProcess): ChildProcess {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  if (!hooked) {
    hooked = true;
    // 'exit' handlers must be synchronous: SIGKILL cannot be refused or delayed.
    process.once('exit', killAll);
  }
  return child;
}

export function killAll(): void {
  for (const child of alive) {
    if (child.exitCode === null && child.signalCode === null) signalGroup(child, 'SIGKILL');
  }
  alive.clear();
}

/**
 * Options for spawning a player: its own process group, so that stopping it also stops what
 * it started (a player script's `sleep`, ffplay's helpers), and a Ctrl-C on the terminal
 * reaches us, not the player, which we stop ourselves.
 */
export const OWN_PROCESS_GROUP = { detached: true } as const;

/** Signals the child's process group when it leads one (OWN_PROCESS_GROUP), else the child. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) return void process.kill(-child.pid, signal);
  } catch {
    // Not a group leader (SoX through node-record-lpcm16), or already gone.
  }
  child.kill(signal);
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMilliseconds`. */
export function stopChild(child: ChildProcess, graceMilliseconds = 300): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMilliseconds);
    child.once('exit', () => {
      clearTimeout(timer);
      // What it started may still run: the group goes too.
      signalGroup(child, 'SIGKILL');
      resolve();
    });
    signalGroup(child, 'SIGTERM');
  });
}

/** Keeps the last few hundred characters a child wrote to stderr, for error messages. */
export function stderrTail(child: ChildProcess, limit = 400): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-limit);
  });
  return () => tail.replace(/\s+/g, ' ').trim();
}

/** The full path of a command on PATH, or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name.includes('/')) return accessSync(name) ? name : undefined;
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    if (accessSync(candidate)) return candidate;
  }
  return undefined;
}

function accessSync(path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.X_OK);
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}
