/** Plain-text shapes shared by the commands that print tables and times. */
import { stripVTControlCharacters } from 'node:util';
import { Markup, render, type Printable } from './markup.js';

/** Local time, "2026-11-25 13:45"; with seconds when asked. */
export function formatTime(date: Date, { seconds = false }: { seconds?: boolean } = {}): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}${seconds ? `:${pad(date.getSeconds())}` : ''}`;
  return `${day} ${time}`;
}

/** 7s, 1m 05s: whole seconds, as a person counts a wait. */
export function formatElapsed(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit += 1;
  } while (value >= 1000 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * Columns padded to their widest cell; `numeric` columns are right-aligned. The last
 * column is not padded, so lines carry no trailing spaces. Cells are Printable: plain
 * strings are untrusted (neutralised as the printer decides), styled cells keep their
 * colours, and widths count only what is visible.
 */
export function formatTable(header: Printable[], rows: Printable[][], numeric: ReadonlySet<number> = new Set()): Markup {
  return new Markup((neutralise) => {
    const all = [header, ...rows].map((row) => row.map((cell) => render(cell, neutralise)));
    const width = (cell: string): number => [...stripVTControlCharacters(cell)].length;
    const widths = header.map((_, column) => Math.max(...all.map((row) => width(row[column] ?? ''))));
    return all
      .map((row) =>
        row
          .map((cell, column) => {
            if (column === row.length - 1 && !numeric.has(column)) return cell;
            const padding = ' '.repeat(Math.max(0, (widths[column] ?? 0) - width(cell)));
            return numeric.has(column) ? padding + cell : cell + padding;
          })
          .join('  '),
      )
      .join('\n');
  });
}
