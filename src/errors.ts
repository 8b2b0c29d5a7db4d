/**
 * The one error type of `assistant`. Anything a person should read is thrown as an
 * AssistantError and caught only at the top (src/cli.ts), which prints its one-line
 * message and exits with its code.
 */

/** Exit codes, documented in README ("Exit codes"). */
export const ExitCode = {
  Success: 0,
  /** A runtime failure: the model server, the store, the configuration. */
  Failure: 1,
  /** The command line or the input was wrong; nothing was sent. */
  Usage: 2,
  /** A configured request or token limit was reached; nothing was sent (use --wait to wait instead). */
  LimitReached: 3,
  /** Ctrl-C (SIGINT) ended the program; any partial answer was saved. */
  Interrupted: 130,
  /** The terminal was closed (SIGHUP); the turn so far was saved. */
  HangUp: 129,
  /** SIGTERM ended the program; the turn so far was saved. */
  Terminated: 143,
  /** SIGQUIT (Ctrl-\ on a terminal) ended the program; the turn so far was saved. */
  Quit: 131,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The signals that end a command after it has stored what it has, and the codes they exit
 * with (128 + the signal's number, as a shell reports a death by that signal). SIGINT is not
 * among them: Ctrl-C stops the answer, and only a second one ends the program.
 */
export const ENDING_SIGNALS = { SIGTERM: ExitCode.Terminated, SIGHUP: ExitCode.HangUp, SIGQUIT: ExitCode.Quit } as const;
export type EndingSignal = keyof typeof ENDING_SIGNALS;
export const ENDING_SIGNAL_NAMES = Object.keys(ENDING_SIGNALS) as EndingSignal[];

export class AssistantError extends Error {
  readonly exitCode: ExitCodeValue;

  constructor(message: string, options: { exitCode?: ExitCodeValue; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AssistantError';
    this.exitCode = options.exitCode ?? ExitCode.Failure;
  }
}

export function usageError(message: string): AssistantError {
  return new AssistantError(message, { exitCode: ExitCode.Usage });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
