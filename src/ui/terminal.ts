/**
 * The two output channels. Stdout carries answers only, so `assistant ask ... > file` and
 * pipes get plain text; everything else (spinner, notes, errors) goes to stderr, coloured
 * only when stderr is a terminal and NO_COLOR is unset.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { scrub } from '../secrets.js';
import { StreamSanitizer, sanitizeForTerminal } from './sanitize.js';

export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface Spinner {
  stop(): void;
}

export interface TerminalOptions {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
}

export class Terminal {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Styles for stderr. */
  readonly style: ChalkInstance;
  /** Styles for stdout (plain when stdout is piped). */
  readonly answerStyle: ChalkInstance;
  /** Strings never to print on stderr (the API key, a database password), set once the configuration is known. */
  secrets: readonly string[] = [];

  constructor({ stdout, stderr, env }: TerminalOptions) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.style = new Chalk({ level: colorLevel(stderr, env) });
    this.answerStyle = new Chalk({ level: colorLevel(stdout, env) });
  }

  get stderrIsTTY(): boolean {
    return this.stderr.isTTY === true;
  }

  get stdoutIsTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  /** Our own text (labels, tables), unchanged. */
  write(text: string): void {
    this.stdout.write(text);
  }

  /**
   * A writer for text we did not write (a model's answer, as it streams): on a terminal,
   * control sequences in it are neutralised; piped, it passes unchanged.
   */
  untrustedWriter(): { write(text: string): void; end(): void } {
    if (!this.stdoutIsTTY) return { write: (text) => void this.stdout.write(text), end: () => {} };
    const sanitizer = new StreamSanitizer();
    return {
      write: (text) => void this.stdout.write(sanitizer.push(text)),
      end: () => void this.stdout.write(sanitizer.flush()),
    };
  }

  /** Stored or received text for display: neutralised on a terminal, unchanged when piped. */
  untrusted(text: string): string {
    return this.stdoutIsTTY ? sanitizeForTerminal(text) : text;
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** A dim note for the person at the terminal. */
  note(text: string): void {
    this.stderr.write(`${this.style.dim(scrub(text, this.secrets))}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.style.yellow('Warning:')} ${scrub(text, this.secrets)}\n`);
  }

  /** Error messages may quote a server: they are always neutralised. */
  error(text: string): void {
    this.stderr.write(`${this.style.red('Error:')} ${sanitizeForTerminal(scrub(text, this.secrets))}\n`);
  }

  /** A spinner on stderr while waiting; nothing at all when stderr is not a terminal. */
  async spinner(text: string): Promise<Spinner> {
    // A terminal that reports no width (some pseudo-terminals) would send ora into an endless redraw.
    if (!this.stderrIsTTY || !((this.stderr.columns ?? 0) > 0)) return { stop: () => {} };
    const { default: ora } = await import('ora');
    // discardStdin would take over stdin (and Ctrl-C) while spinning; we handle SIGINT ourselves.
    const spinner = ora({
      text,
      stream: this.stderr as NodeJS.WritableStream,
      discardStdin: false,
      color: this.style.level > 0 ? 'gray' : false,
    }).start();
    let spinning = true;
    return {
      stop: () => {
        if (spinning) spinner.stop();
        spinning = false;
      },
    };
  }
}

function colorLevel(stream: OutputStream, env: NodeJS.ProcessEnv): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return 1;
  if (stream.isTTY !== true || env.TERM === 'dumb') return 0;
  return env.COLORTERM === 'truecolor' ? 3 : 2;
}
