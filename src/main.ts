/** Connects the program to the real process: argv, environment, streams and signals. */
import { main as run } from './cli.js';

export async function main(): Promise<number> {
  // With a file-size limit (ulimit -f), a write past it raises SIGXFSZ, which would kill us
  // silently; handled, the write fails with EFBIG and SQLite reports the disk as full.
  process.on('SIGXFSZ', () => {});
  // Stdout can fail under us: `assistant ask ... | head -c 5` closes the pipe (EPIPE), `> /dev/full`
  // has no room (ENOSPC). A running command hears it and stops, keeping what it has; with no
  // command listening, a closed pipe is not an error and anything else is one line, not a trace.
  const outputListeners = new Set<(error: NodeJS.ErrnoException) => void>();
  let outputFailed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (outputFailed) return;
    outputFailed = true;
    if (outputListeners.size > 0) {
      for (const listener of outputListeners) listener(error);
      return;
    }
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`Error: cannot write to stdout (${error.code ?? error.message}).\n`);
    process.exit(1);
  });
  return run({
    argv: process.argv,
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    onSignal: (signal, listener) => {
      // Listening replaces Node's default (exit), so the command decides what a signal means.
      process.on(signal, listener);
      return () => process.off(signal, listener);
    },
    onOutputError: (listener) => {
      outputListeners.add(listener);
      return () => outputListeners.delete(listener);
    },
    exit: (code) => process.exit(code),
  });
}
