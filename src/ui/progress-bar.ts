/**
 * A progress line on stderr for long copies: "Copying sessions ▕█████▌   ▏ 120/300 40% · 3s",
 * or a count when the total is not known ("Copying cache entries… 1200 · 5s"). Only on a
 * terminal; redrawn at most ten times a second, so a copy of a million rows does not spend
 * its time writing to the terminal. done() removes the line before the summary is printed.
 */
import { formatElapsed } from './format.js';
import type { Terminal } from './terminal.js';

const EIGHTHS = ' ▏▎▍▌▋▊▉█';
const CELLS = 24;
const REDRAW_MILLISECONDS = 100;

export class ProgressBar {
  private readonly startedAt: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private shown = false;

  constructor(
    private readonly terminal: Terminal,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** `done` of `total` items of `what` are copied; total undefined: not known, a count is shown. */
  update(what: string, done: number, total?: number): void {
    if (!this.terminal.stderrIsTTY) return;
    const now = this.now();
    // The last item is always drawn, so the line ends on the true count.
    if (now - this.lastDraw < REDRAW_MILLISECONDS && done !== total) return;
    this.lastDraw = now;
    const elapsed = this.terminal.style.dim(`· ${formatElapsed(now - this.startedAt)}`);
    const line =
      total === undefined
        ? `Copying ${what}… ${done} ${elapsed}`
        : `Copying ${what} ${bar(total === 0 ? 1 : done / total)} ${done}/${total} ${Math.floor((100 * done) / Math.max(1, total))}% ${elapsed}`;
    this.terminal.stderr.write(`\r\u001b[2K${line}`);
    this.shown = true;
  }

  /** Removes the line. */
  done(): void {
    if (this.shown) this.terminal.stderr.write('\r\u001b[2K');
    this.shown = false;
  }
}

/** The fraction (0..1) as a bar of CELLS cells, in eighths of a cell. */
export function bar(fraction: number): string {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * CELLS * 8);
  let cells = '';
  for (let cell = 0; cell < CELLS; cell += 1) cells += EIGHTHS[Math.min(8, Math.max(0, eighths - cell * 8))];
  return `▕${cells}▏`;
}
