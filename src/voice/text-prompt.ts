/**
 * --text (and `chat`): typed turns. Piped, each line is a message. On a terminal it is a
 * real prompt: readline's line editing and Up for earlier questions, a bracketed paste is
 * one message with its line breaks and indentation, and while an answer streams the keys
 * are not typing but control: Enter or Esc stops the answer, Ctrl-C interrupts.
 */
import { EventEmitter } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { Channel } from '../async/channel.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE, PasteSplitter, pastedMessage, type InputPiece } from './bracketed-paste.js';
import { decodeKeys } from './keyboard.js';
import { ANSWERING_KEY_INTENTS, type Intent } from './intents.js';
import type { Heard, Listener } from './listeners.js';

/** A terminal's stdin: raw mode lets keys arrive one by one. */
export interface TerminalInputStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface TextListenerOptions {
  input: TerminalInputStream;
  /** The terminal the prompt and the typing are drawn on; undefined when input is piped (no prompt). */
  output?: NodeJS.WritableStream | undefined;
  /** The prompt, e.g. a coloured "You: ". */
  prompt?: string;
  /** Earlier questions for Up, newest first (this session's, from the store). */
  history?: string[];
  /** A key while an answer streams (ANSWERING_KEY_INTENTS), or Ctrl-C on an empty prompt. */
  onIntent?: (intent: Intent) => void;
  now?: () => number;
}

export class TextListener implements Listener {
  /** Typed or pasted messages in order; closed when the input ends. */
  private readonly messages = new Channel<string>();
  private readonly readline: Interface;
  private readonly keys: TerminalKeys | undefined;
  private readonly output: NodeJS.WritableStream | undefined;
  private readonly screen: PromptScreen | undefined;
  /** Between a message and the next prompt, keys control the answer instead of typing. */
  private answering = false;
  private promptShown = false;
  private restored = false;
  private readonly now: () => number;

  constructor(private readonly options: TextListenerOptions) {
    this.now = options.now ?? Date.now;
    const { input, output } = options;
    if (output && input.isTTY === true && typeof input.setRawMode === 'function') {
      this.output = output;
      this.keys = new TerminalKeys(input, (piece) => this.route(piece));
      this.screen = new PromptScreen(output, () => !this.answering);
      this.readline = createInterface({
        input: this.keys as unknown as NodeJS.ReadableStream,
        output: this.screen as unknown as NodeJS.WritableStream,
        terminal: true,
        prompt: options.prompt ?? 'You: ',
        history: (options.history ?? []).filter((line) => !line.includes('\n')),
        historySize: 500,
        removeHistoryDuplicates: true,
      });
      // In raw mode Ctrl-C is a key; readline reports it here. With text typed it clears the line, as shells do.
      this.readline.on('SIGINT', () => {
        if (this.readline.line === '') options.onIntent?.('interrupt');
        else this.clearLine();
      });
      output.write(ENABLE_BRACKETED_PASTE);
    } else {
      this.readline = createInterface({ input, terminal: false, crlfDelay: Infinity });
    }
    this.readline.on('line', (line) => {
      this.promptShown = false;
      this.messages.push(line.trim());
    });
    this.readline.on('close', () => this.messages.close());
  }

  async listen(signal: AbortSignal): Promise<Heard | undefined> {
    for (;;) {
      if (this.keys && !this.promptShown && this.messages.wouldWait(signal)) {
        this.promptShown = true;
        this.readline.prompt();
      }
      const next = await this.messages.read(signal);
      if (next.done) return undefined;
      if (next.value !== '') return { kind: 'text', text: next.value, at: this.now() };
    }
  }

  /** A message is being answered: keys now stop it instead of typing the next one. */
  pause(): void {
    this.answering = true;
  }

  resume(): void {
    this.answering = false;
  }

  async close(): Promise<void> {
    this.restoreTerminal();
  }

  /**
   * Leaves the terminal as it was: bracketed paste off, raw mode off, the cursor on a fresh
   * line. Synchronous, for the exit-at-once path too; safe to call more than once.
   */
  restoreTerminal(): void {
    if (this.restored) return;
    this.restored = true;
    if (this.output) {
      if (this.promptShown) this.output.write('\n');
      this.promptShown = false;
      this.output.write(DISABLE_BRACKETED_PASTE);
    }
    this.readline.close();
    this.keys?.detach();
    this.screen?.detach();
  }

  private route(piece: InputPiece): void {
    if (this.answering) {
      // A paste or typing while the answer streams is not kept: the prompt is not there yet.
      if (piece.kind === 'paste') return;
      for (const key of decodeKeys(piece.text)) {
        const intent = ANSWERING_KEY_INTENTS[key];
        if (intent) this.options.onIntent?.(intent);
      }
    } else if (piece.kind === 'keys') {
      this.keys!.type(piece.text);
    } else {
      this.submitPaste(piece.text);
    }
  }

  /** What was typed on the line so far, then the paste: one message, sent at once. */
  private submitPaste(text: string): void {
    const message = pastedMessage(this.readline.line + text);
    if (message === '') return;
    this.clearLine();
    // readline drew the prompt; the message goes after it as it was pasted, line breaks and all.
    this.output!.write(`${sanitizeForTerminal(message)}\n`);
    this.promptShown = false;
    this.messages.push(message);
  }

  /** Ctrl-E then Ctrl-U: readline's own way to empty the line, which also redraws it. */
  private clearLine(): void {
    this.readline.write(null, { ctrl: true, name: 'e' });
    this.readline.write(null, { ctrl: true, name: 'u' });
  }
}

/**
 * Stands between the terminal and readline: pastes and, while answering, control keys are
 * taken out; typed keys are handed on. Raw mode, pause and resume go to the real terminal.
 */
class TerminalKeys extends EventEmitter {
  readonly isTTY = true;
  private readonly decoder = new StringDecoder('utf8');
  private readonly splitter = new PasteSplitter();
  private readonly onData = (chunk: Buffer | string): void => {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    for (const piece of this.splitter.push(text)) this.route(piece);
  };
  private readonly onEnd = (): void => void this.emit('end');

  constructor(
    private readonly source: TerminalInputStream,
    private readonly route: (piece: InputPiece) => void,
  ) {
    super();
    source.on('data', this.onData);
    source.on('end', this.onEnd);
  }

  /** Keys for readline. */
  type(text: string): void {
    this.emit('data', text);
  }

  setRawMode(mode: boolean): this {
    this.source.setRawMode?.(mode);
    return this;
  }

  resume(): this {
    this.source.resume();
    return this;
  }

  pause(): this {
    this.source.pause();
    return this;
  }

  detach(): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.pause();
  }
}

/**
 * The terminal as readline sees it. readline redraws its line when the window is resized;
 * during an answer that would draw the prompt over the answer, so resizes reach it only
 * while the prompt is up (the next prompt is drawn for the new width anyway).
 */
class PromptScreen extends EventEmitter {
  private readonly onResize = (): void => {
    if (this.prompting()) this.emit('resize');
  };

  constructor(
    private readonly target: NodeJS.WritableStream & { columns?: number; rows?: number; isTTY?: boolean },
    private readonly prompting: () => boolean,
  ) {
    super();
    target.on('resize', this.onResize);
  }

  get isTTY(): boolean {
    return this.target.isTTY === true;
  }

  get columns(): number | undefined {
    return this.target.columns;
  }

  get rows(): number | undefined {
    return this.target.rows;
  }

  write(chunk: string): boolean {
    return this.target.write(chunk);
  }

  detach(): void {
    this.target.off('resize', this.onResize);
  }
}
