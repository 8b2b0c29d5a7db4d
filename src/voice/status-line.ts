/**
 * The one-line status on stderr while talking: state and a live input level meter.
 * Only on a terminal; elsewhere it stays silent, so logs and pipes get no redraws.
 */
import { formatElapsed } from '../ui/format.js';
import type { Terminal } from '../ui/terminal.js';

export type TalkState = 'listening' | 'hearing you' | 'transcribing' | 'thinking' | 'speaking' | 'recording';

const BARS = ' ▁▂▃▄▅▆▇█';

/** What the keys do, shown after the state: only keys that work with this input. */
export interface StatusHints {
  /** While listening, e.g. "Ctrl-C or Ctrl-D to end". */
  listening: string;
  /** While answering, e.g. "Space/Enter to interrupt". */
  answering: string;
}

/** States that are a wait for us, not for the person: they show how long they have lasted. */
const WAITS: ReadonlySet<TalkState> = new Set(['transcribing', 'thinking', 'speaking']);

const VOICE_HINTS: StatusHints = { listening: 'Ctrl-C or Ctrl-D to end', answering: 'Space/Enter to interrupt' };

export class StatusLine {
  private state: TalkState | undefined;
  private level = -100;
  private shown = false;
  private lastDraw = 0;
  private since = 0;
  /** Redraws a wait's line every second, so its time counts up; running only while a wait is shown. */
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly terminal: Terminal,
    private readonly now: () => number = Date.now,
    private readonly hints: StatusHints = VOICE_HINTS,
  ) {}

  get enabled(): boolean {
    return this.terminal.stderrIsTTY;
  }

  set(state: TalkState): void {
    if (state !== this.state) this.since = this.now();
    this.state = state;
    this.stopTicker();
    this.draw(true);
    if (this.enabled && WAITS.has(state)) this.ticker = setInterval(() => this.draw(true), 1000).unref();
  }

  /** The input level in dBFS; redrawn at most ten times a second. */
  meter(decibels: number): void {
    this.level = decibels;
    this.draw(false);
  }

  /** Removes the line (before printing anything else on the terminal). */
  clear(): void {
    this.stopTicker();
    if (!this.enabled || !this.shown) return;
    this.terminal.stderr.write('\r\u001b[2K');
    this.shown = false;
  }

  private draw(force: boolean): void {
    if (!this.enabled || this.state === undefined) return;
    const now = this.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const style = this.terminal.style;
    const listening = this.state === 'listening' || this.state === 'hearing you' || this.state === 'recording';
    const meter = listening ? ` ${levelBar(this.level)}` : '';
    const dot = this.state === 'hearing you' || this.state === 'recording' ? style.red('●') : style.dim('●');
    const elapsed = WAITS.has(this.state) ? ` ${style.dim(formatElapsed(now - this.since))}` : '';
    const hint = style.dim(`  ${listening ? this.hints.listening : this.hints.answering}`);
    this.terminal.stderr.write(`\r\u001b[2K${dot} ${this.state}…${elapsed}${meter}${hint}`);
    this.shown = true;
  }

  private stopTicker(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }
}

/** -60 dBFS and below is empty, 0 dBFS is full; 12 cells. */
export function levelBar(decibels: number, cells = 12): string {
  const fraction = Math.min(1, Math.max(0, (decibels + 60) / 60));
  const eighths = Math.round(fraction * cells * 8);
  let bar = '';
  for (let cell = 0; cell < cells; cell += 1) bar += BARS[Math.min(8, Math.max(0, eighths - cell * 8))];
  return `▕${bar}▏`;
}
