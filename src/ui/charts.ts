/** Small pictures in plain Unicode, for terminals: sparklines, histograms, bars. */

const LEVELS = '▁▂▃▄▅▆▇█';

/** The values as one line of block characters, resampled to at most `width` cells. */
export function sparkline(values: number[], width = 24): string {
  if (values.length === 0) return '';
  const cells = resample(values, width);
  const low = Math.min(...cells);
  const high = Math.max(...cells);
  return cells.map((value) => LEVELS[high === low ? 3 : Math.round(((value - low) / (high - low)) * 7)]).join('');
}

/** How many values fall in each of `buckets` equal ranges from 0 to the maximum. */
export function histogram(values: number[], buckets = 12): string {
  if (values.length === 0) return '';
  const high = Math.max(...values, 1);
  const counts = new Array<number>(buckets).fill(0);
  for (const value of values) counts[Math.min(buckets - 1, Math.floor((value / high) * buckets))]! += 1;
  const most = Math.max(...counts);
  return counts.map((count) => (count === 0 ? ' ' : LEVELS[Math.max(0, Math.round((count / most) * 7))])).join('');
}

/** A horizontal bar of `value` out of `maximum`, `width` cells wide, in eighths. */
export function bar(value: number, maximum: number, width = 30): string {
  if (maximum <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / maximum) * width * 8));
  const partial = ' ▏▎▍▌▋▊▉'[eighths % 8] ?? '';
  return '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? partial : '');
}

function resample(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  const cells: number[] = [];
  for (let cell = 0; cell < width; cell += 1) {
    const start = Math.floor((cell * values.length) / width);
    const end = Math.max(start + 1, Math.floor(((cell + 1) * values.length) / width));
    const slice = values.slice(start, end);
    cells.push(slice.reduce((sum, value) => sum + value, 0) / slice.length);
  }
  return cells;
}
