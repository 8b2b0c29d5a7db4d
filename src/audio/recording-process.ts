/**
 * One SoX recording process, watched until it is over: its output, its exit, its stderr, and
 * the two ways it could leave a recording waiting for ever (SoX exits but something it
 * started holds its output open; SoX closes its output but keeps running), each ended after
 * a grace time on the runtime's clock.
 */
import { stderrTail, stopChild, track } from './child-processes.js';
import type { AudioProcess, ProcessRuntime, RecordingCommand } from './process-launcher.js';

/**
 * How long SoX may take, once it has exited, to close its output, or, once its output has
 * ended, to exit. Past it the recording is over.
 */
export const RECORDING_END_GRACE_MILLISECONDS = 1000;

export type RecordingOutcome =
  | { kind: 'stopped' }
  | { kind: 'not started'; error: Error }
  /** SoX closed its output but did not exit. */
  | { kind: 'output closed' }
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stderr: string };

export class RecordingProcess {
  private readonly child: AudioProcess;
  private readonly tail: () => string;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private startError: Error | undefined;
  private readonly closed: Promise<void>;
  private readonly outputEnded = new AbortController();
  private outputGuard = Promise.resolve();
  /** The output was given up on (SoX exited, something else held it open). */
  private abandoned = false;
  private chunks = 0;
  private stopping = false;

  constructor(
    command: RecordingCommand,
    private readonly runtime: ProcessRuntime,
  ) {
    this.child = track(runtime.launcher.record(command), runtime.launcher);
    this.tail = stderrTail(this.child);
    this.child.on('error', (error) => (this.startError = error));
    // node-record-lpcm16 reports a non-zero exit as a stream error; the exit itself is read in outcome().
    this.child.stdout!.on('error', () => {});
    this.child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      this.outputGuard = this.abandonQuietOutput();
    });
    this.closed = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        this.exit ??= { code, signal };
        resolve();
      }),
    );
  }

  /** The raw audio, until SoX's output ends, fails or is given up on. */
  async *output(): AsyncIterable<Buffer> {
    try {
      for await (const chunk of this.child.stdout!) {
        this.chunks += 1;
        yield chunk as Buffer;
      }
    } catch {
      // The stream ended with an error: outcome() says why.
    }
    this.outputEnded.abort();
  }

  /** Why the output ended. Call it once output() is done. */
  async outcome(): Promise<RecordingOutcome> {
    if (!this.stopping && !this.abandoned) {
      // The exit status comes with 'close', once stderr is read too.
      const waited = new AbortController();
      await Promise.race([this.closed, this.runtime.clock.sleep(RECORDING_END_GRACE_MILLISECONDS, waited.signal).catch(() => {})]);
      waited.abort();
    }
    if (this.stopping) return { kind: 'stopped' };
    if (this.startError) return { kind: 'not started', error: this.startError };
    if (!this.exit) return { kind: 'output closed' };
    return { kind: 'exited', ...this.exit, stderr: this.tail() };
  }

  /** Stops SoX (SIGTERM, then SIGKILL after a grace time); the output then ends. */
  stop(): Promise<void> {
    this.stopping = true;
    return stopChild(this.child, this.runtime);
  }

  /** Stops whatever still runs; every path of a recording ends here. */
  async close(): Promise<void> {
    this.outputEnded.abort();
    await this.stop();
    await this.outputGuard;
  }

  /** SoX has exited: once its output has been quiet for the grace time, what still holds it open is ignored. */
  private async abandonQuietOutput(): Promise<void> {
    try {
      let seen = -1;
      while (seen !== this.chunks || this.child.stdout!.readableLength > 0) {
        seen = this.chunks;
        await this.runtime.clock.sleep(RECORDING_END_GRACE_MILLISECONDS, this.outputEnded.signal);
      }
      this.abandoned = true;
      this.child.stdout!.destroy();
    } catch {
      // The output ended in time.
    }
  }
}
