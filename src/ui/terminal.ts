/**
 * The two output channels. Stdout carries answers only, so `assistant ask ... > file` and
 * pipes get plain text; everything else (spinner, notes, errors) goes to stderr, coloured
 * only when stderr is a terminal and NO_COLOR is unset.
 *
 * This is the one door to the terminal for text: every printer treats a plain string as
 * untrusted (a model name, a transcript, an error body, a stored message) and neutralises it
 * (stderr: always; stdout: on a terminal, so pipes and --json keep the raw text). Our own
 * styling gets through only as Markup (see markup.ts), so a new printer cannot forget to
 * neutralise: forgetting Markup costs a colour, never a hostile escape sequence.
 * The raw `stdout`/`stderr` streams are for our own control output (the status line,
 * progress redraws) and the spinner, never for text from outside.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { scrub } from '../secrets.js';
import { markup, render, type Markup, styleFrom, type Neutraliser, type Printable, type Style } from './markup.js';
import { formatElapsed } from './format.js';
import type { MarkdownRenderer } from './markdown-renderer.js';
import { StreamSanitizer, sanitizeForTerminal } from './sanitize.js';

export { Markup, joinMarkup, markup, type Printable, type Style } from './markup.js';

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
  /** The clock for the spinner's elapsed time, in milliseconds (default Date.now). */
  now?: () => number;
}

export class Terminal {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Styles for stderr (Markup; as a string, for the raw stream, it keeps its colours). */
  readonly style: Style;
  /** Styles for stdout (plain when stdout is piped). */
  readonly answerStyle: Style;
  /** Colours for answers on stdout, for the markdown renderer. */
  private readonly answerChalk: ChalkInstance;
  /** Makes a markdown renderer for answers: set by renderAnswersAsMarkdown() on a terminal. */
  private markdownRenderer: (() => MarkdownRenderer) | undefined;
  /** Strings never to print on stderr (the API key, a database password), set once the configuration is known. */
  secrets: readonly string[] = [];

  private readonly now: () => number;

  constructor({ stdout, stderr, env, now = Date.now }: TerminalOptions) {
    this.now = now;
    this.stdout = stdout;
    this.stderr = stderr;
    this.style = styleFrom(new Chalk({ level: colorLevel(stderr, env) }));
    this.answerChalk = new Chalk({ level: colorLevel(stdout, env) });
    this.answerStyle = styleFrom(this.answerChalk);
  }

  get stderrIsTTY(): boolean {
    return this.stderr.isTTY === true;
  }

  get stdoutIsTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  /** Untrusted text on stdout: neutralised on a terminal, unchanged when piped. */
  private readonly forStdout: Neutraliser = (text) => (this.stdoutIsTTY ? sanitizeForTerminal(text) : text);
  /** Untrusted text on stderr: always neutralised (it is read on a terminal or in a log). */
  private readonly forStderr: Neutraliser = sanitizeForTerminal;

  /** Text on stdout with no newline added (a label before a streamed answer, a prompt). */
  write(text: Printable): void {
    this.stdout.write(render(text, this.forStdout));
  }

  line(text: Printable = ''): void {
    this.stdout.write(`${render(text, this.forStdout)}\n`);
  }

  /**
   * A value as one line of JSON, for --json: raw data, with DEL and C1 characters written as
   * \u escapes (JSON.stringify escapes only C0), so the line means the same and a terminal shows it safely.
   */
  json(value: unknown): void {
    const text = JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
    this.stdout.write(`${text}\n`);
  }

  /**
   * From now on, answers (untrustedWriter) are drawn as markdown when stdout is a terminal;
   * piped, nothing changes. The renderer is loaded here, only on a terminal, so a piped or
   * --raw `ask` never loads it.
   */
  async renderAnswersAsMarkdown(): Promise<void> {
    if (!this.stdoutIsTTY) return;
    const { MarkdownRenderer } = await import('./markdown-renderer.js');
    this.markdownRenderer = () => new MarkdownRenderer({ chalk: this.answerChalk, columns: this.stdout.columns });
  }

  /**
   * A writer for text we did not write (a model's answer, as it streams): on a terminal,
   * control sequences in it are neutralised first, and then, after renderAnswersAsMarkdown(),
   * it is drawn as markdown; piped, it passes unchanged.
   */
  untrustedWriter(): { write(text: string): void; end(): void } {
    if (!this.stdoutIsTTY) return { write: (text) => void this.stdout.write(text), end: () => {} };
    const sanitizer = new StreamSanitizer();
    const renderer = this.markdownRenderer?.();
    if (renderer === undefined) {
      return {
        write: (text) => void this.stdout.write(sanitizer.push(text)),
        end: () => void this.stdout.write(sanitizer.flush()),
      };
    }
    // Sanitized first: the renderer's own colours are the only escape sequences that reach the terminal.
    return {
      write: (text) => void this.stdout.write(renderer.push(sanitizer.push(text))),
      end: () => void this.stdout.write(renderer.push(sanitizer.flush()) + renderer.flush()),
    };
  }

  /** Stored or received text as stdout would show it: neutralised on a terminal, unchanged when piped. The printers do this themselves. */
  untrusted(text: string): string {
    return this.forStdout(text);
  }

  /** A dim note for the person at the terminal. */
  note(text: Printable): void {
    this.toStderr(this.style.dim(text));
  }

  warn(text: Printable): void {
    this.toStderr(markup`${this.style.yellow('Warning:')} ${text}`);
  }

  /** Error messages may quote a server: like every stderr text, they are neutralised. */
  error(text: Printable): void {
    this.toStderr(markup`${this.style.red('Error:')} ${text}`);
  }

  /** Plain diagnostic text on stderr (a DEBUG stack trace), neutralised and scrubbed like the rest. */
  detail(text: Printable): void {
    this.toStderr(markup`${text}`);
  }

  /** Secrets are scrubbed after neutralising, so escape sequences cannot split a secret past the scrubber. */
  private toStderr(text: Markup): void {
    this.stderr.write(`${scrub(text.render(this.forStderr), this.secrets)}\n`);
  }

  /**
   * A spinner on stderr while waiting, saying what for (the stage, e.g. "Thinking…") and for
   * how long ("Thinking… 12s"); nothing at all when stderr is not a terminal.
   */
  async spinner(stage: string): Promise<Spinner> {
    // A terminal that reports no width (some pseudo-terminals) would send ora into an endless redraw.
    if (!this.stderrIsTTY || !((this.stderr.columns ?? 0) > 0)) return { stop: () => {} };
    const { default: ora } = await import('ora');
    const startedAt = this.now();
    // discardStdin would take over stdin (and Ctrl-C) while spinning; we handle SIGINT ourselves.
    const spinner = ora({
      text: stage,
      // Read at every frame, so the time counts up while the spinner turns.
      suffixText: () => String(this.style.dim(formatElapsed(this.now() - startedAt))),
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
