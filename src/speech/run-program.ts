/**
 * Runs one local speech program (espeak-ng, say, a person's --tts-command or --stt-command)
 * to its end: input on stdin, output from stdout, stopped with its process group when the
 * signal aborts or it runs past its time. Its failures become errors a person can act on: not
 * installed, the exit code with the last line of its stderr, running too long, or no output.
 */
import { OWN_PROCESS_GROUP, hasExited, signalGroup, stopChild, track } from '../audio/child-processes.js';
import type { ProcessRuntime } from '../audio/process-launcher.js';
import { AssistantError } from '../errors.js';

export interface ProgramRun {
  /** The full path of the program (found with the launcher's findExecutable). */
  executable: string;
  args: string[];
  /** Written to stdin, then stdin is closed; undefined closes it at once. */
  input?: Uint8Array | string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal | undefined;
  /** How the program is named in errors ("espeak-ng", "--tts-command"). */
  label: string;
  /** Stopped (with its process group) after this long: a hung engine must not hang the conversation. */
  timeoutMilliseconds: number;
}

/**
 * A local program gets this many times TIMEOUT (the wait allowed for a server to start
 * answering): it does all its work before answering (a whisper run over the utterance), where
 * a server streams.
 */
export const LOCAL_TIMEOUT_FACTOR = 4;

/**
 * The most a program may write on stdout: one sentence's WAV or one transcript is far less (a
 * minute of 48 kHz float audio is 11 MB). A program that floods its output (a wrong command,
 * `yes`) is stopped here instead of filling the memory until its time is up.
 */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * After the program exits, what it left running in its group may still hold its output open,
 * and the output would never end: after this long, the group is killed and its pipes closed.
 */
const LEFTOVERS_GRACE_MILLISECONDS = 1000;

/** Collects stdout; rejects when the program cannot start, fails, runs too long or is aborted. */
export async function runProgram(run: ProgramRun, runtime: ProcessRuntime): Promise<Buffer> {
  run.signal?.throwIfAborted();
  const child = track(runtime.launcher.spawn(run.executable, run.args, { stdio: ['pipe', 'pipe', 'pipe'], env: run.env, ...OWN_PROCESS_GROUP }), runtime.launcher);
  const output: Buffer[] = [];
  let outputBytes = 0;
  let flooded = false;
  let errorText = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (errorText = (errorText + chunk).slice(-2000)));
  // A program that does not read its stdin closes it early: that is not a failure.
  child.stdin?.on('error', () => {});
  child.stdin?.end(run.input ?? '');
  const stops: Promise<void>[] = [];
  const stop = (): void => void stops.push(stopChild(child, runtime, 200));
  child.stdout?.on('data', (chunk: Buffer) => {
    if (flooded) return;
    outputBytes += chunk.byteLength;
    if (outputBytes <= MAX_OUTPUT_BYTES) return void output.push(chunk);
    flooded = true;
    output.length = 0;
    stop();
  });
  run.signal?.addEventListener('abort', stop, { once: true });
  // Both waits end with the run, whichever way it ends.
  const over = new AbortController();
  let timedOut = false;
  const deadline = runtime.clock.sleep(run.timeoutMilliseconds, over.signal).then(
    () => {
      if (hasExited(child)) return;
      timedOut = true;
      stop();
    },
    () => {},
  );
  let leftovers: Promise<void> = Promise.resolve();
  child.once('exit', () => {
    leftovers = runtime.clock.sleep(LEFTOVERS_GRACE_MILLISECONDS, over.signal).then(
      () => {
        signalGroup(child, 'SIGKILL', runtime.launcher);
        child.stdout?.destroy();
        child.stderr?.destroy();
      },
      () => {},
    );
  });
  try {
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    // The group is gone before anyone hears why the run ended.
    await Promise.all(stops);
    run.signal?.throwIfAborted();
    if (flooded) throw new AssistantError(`${run.label} wrote more than ${MAX_OUTPUT_BYTES / 1024 / 1024} MB on stdout, so it was stopped: it should write one WAV or one transcript. Check the command.`);
    if (timedOut) {
      const seconds = Math.round(run.timeoutMilliseconds / 100) / 10;
      const error = new AssistantError(
        `${run.label} ran for ${seconds} s without finishing, so it was stopped (a local speech program gets ${LOCAL_TIMEOUT_FACTOR} × TIMEOUT). Check the command, or raise TIMEOUT (seconds) for a slow engine.`,
      );
      throw Object.assign(error, { errorClass: 'Timeout' });
    }
    if (outcome.error) throw new AssistantError(`Cannot start ${run.label} (${run.executable}): ${outcome.error.message}.`);
    if (outcome.code !== 0) {
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
      const said = lastLine(errorText);
      throw new AssistantError(`${run.label} ${how}${said ? `: ${said}` : ' (nothing on stderr)'}.`);
    }
    return Buffer.concat(output);
  } finally {
    over.abort();
    await Promise.all([deadline, leftovers]);
    run.signal?.removeEventListener('abort', stop);
  }
}

/** The program's own words about why it failed: its last non-empty stderr line. */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  return lines.at(-1) ?? '';
}

/** The program's full path, or an error saying how to install it. */
export function requireProgram(program: string, runtime: ProcessRuntime, env: NodeJS.ProcessEnv, advice: string): string {
  const executable = runtime.launcher.findExecutable(program, env);
  if (!executable) throw new AssistantError(`${program} is not installed (not found on PATH). ${advice}`);
  return executable;
}
