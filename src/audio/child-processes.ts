/**
 * Every audio child (SoX, the player) is tracked here, so none outlives `assistant`,
 * whatever ends it: a normal exit, an error, or a signal.
 */
import type { AudioProcess, ProcessLauncher, ProcessRuntime } from './process-launcher.js';

/** Each live child, with the launcher that can signal its group. */
const alive = new Map<AudioProcess, ProcessLauncher>();
/** Children that could not start: they never exit, only emit 'error' and 'close'. */
const neverStarted = new WeakSet<AudioProcess>();
let hooked = false;

export function track<Child extends AudioProcess>(child: Child, launcher: ProcessLauncher): Child {
  alive.set(child, launcher);
  child.once('exit', () => alive.delete(child));
  child.once('error', () => {
    if (child.pid === undefined) {
      neverStarted.add(child);
      alive.delete(child);
    }
  });
  if (!hooked) {
    hooked = true;
    // 'exit' handlers must be synchronous: SIGKILL cannot be refused or delayed.
    process.once('exit', killAll);
  }
  return child;
}

export function killAll(): void {
  for (const [child, launcher] of alive) {
    if (!hasExited(child)) signalGroup(child, 'SIGKILL', launcher);
  }
  alive.clear();
}

/**
 * Options for spawning a player: its own process group, so that stopping it also stops what
 * it started (a player script's `sleep`, ffplay's helpers), and a Ctrl-C on the terminal
 * reaches us, not the player, which we stop ourselves.
 */
export const OWN_PROCESS_GROUP = { detached: true } as const;

export function hasExited(child: AudioProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || neverStarted.has(child);
}

/** Signals the child's process group when it leads one (OWN_PROCESS_GROUP), else the child. */
export function signalGroup(child: AudioProcess, signal: NodeJS.Signals, launcher: ProcessLauncher): void {
  try {
    if (child.pid !== undefined) return launcher.signalGroup(child.pid, signal);
  } catch {
    // Not a group leader (SoX through node-record-lpcm16), or already gone.
  }
  child.kill(signal);
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMilliseconds` of the runtime's clock. */
export async function stopChild(child: AudioProcess, { launcher, clock }: ProcessRuntime, graceMilliseconds = 300): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const grace = new AbortController();
  const fallback = clock.sleep(graceMilliseconds, grace.signal).then(
    () => signalGroup(child, 'SIGKILL', launcher),
    () => {}, // it exited within the grace time
  );
  signalGroup(child, 'SIGTERM', launcher);
  await exited;
  grace.abort();
  await fallback;
  // What it started may still run: the group goes too.
  signalGroup(child, 'SIGKILL', launcher);
}

/** Keeps the last few hundred characters a child wrote to stderr, for error messages. */
export function stderrTail(child: AudioProcess, limit = 400): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-limit);
  });
  return () => tail.replace(/\s+/g, ' ').trim();
}
