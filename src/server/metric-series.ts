/**
 * Counters and histograms in the Prometheus text format (version 0.0.4), labelled. Our own
 * few lines rather than prom-client: the server needs two kinds of series and nothing else.
 * Label values come from the code (a route's pattern, a stage, an endpoint, a status), never
 * from a request, so the number of series stays small whatever clients send.
 */

type Labels = Record<string, string>;

/** Latency buckets in seconds: from a cached answer to a long streamed one. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Counter {
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    private readonly name: string,
    private readonly help: string,
  ) {}

  increment(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const series = this.series.get(key) ?? { labels, value: 0 };
    series.value += by;
    this.series.set(key, series);
  }

  lines(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.series.values()].map((series) => `${this.name}${labelText(series.labels)} ${series.value}`)];
  }
}

interface HistogramSeries {
  labels: Labels;
  /** Observations at or under each bucket's bound (cumulative, as the format wants). */
  buckets: number[];
  count: number;
  sum: number;
}

export class Histogram {
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly bounds: readonly number[] = LATENCY_BUCKETS,
  ) {}

  observe(labels: Labels, seconds: number): void {
    const key = labelText(labels);
    const series = this.series.get(key) ?? { labels, buckets: this.bounds.map(() => 0), count: 0, sum: 0 };
    this.bounds.forEach((bound, index) => {
      if (seconds <= bound) series.buckets[index]! += 1;
    });
    series.count += 1;
    series.sum += seconds;
    this.series.set(key, series);
  }

  lines(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const series of this.series.values()) {
      this.bounds.forEach((bound, index) => lines.push(`${this.name}_bucket${labelText({ ...series.labels, le: String(bound) })} ${series.buckets[index]!}`));
      lines.push(`${this.name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.count}`);
      lines.push(`${this.name}_sum${labelText(series.labels)} ${series.sum}`);
      lines.push(`${this.name}_count${labelText(series.labels)} ${series.count}`);
    }
    return lines;
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  // The format's escapes: backslash, double quote and newline.
  const escaped = entries.map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return `{${escaped.join(',')}}`;
}
