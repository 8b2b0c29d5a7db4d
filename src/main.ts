/** Connects the program to the real process: argv, environment, streams and signals. */
import { main as run } from './cli.js';

export async function main(): Promise<number> {
  // With a file-size limit (ulimit -f), a write past it raises SIGXFSZ, which would kill us
  // silently; handled, the write fails with EFBIG and SQLite reports the disk as full.
  process.on('SIGXFSZ', () => {});
  // `assistant ask ... | head -1` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
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
    exit: (code) => process.exit(code),
  });
}
