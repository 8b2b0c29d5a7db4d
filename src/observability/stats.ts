/**
 * The numbers behind `assistant stats`, computed from the request log and the turns: a pure
 * function of rows, so tests can seed known rows and expect known numbers.
 */
import type { CacheKind, StoreSize, StoredRequest, StoredTurn } from '../store/store.js';
import { PRICES, PRICES_AS_OF, costOf, type Price, type Usage } from './prices.js';
import { tokenCount } from './request-log.js';

export interface Distribution {
  count: number;
  average: number | null;
  p50: number | null;
  p95: number | null;
  max: number | null;
  /** The values themselves (milliseconds), oldest first, for charts. */
  values: number[];
}

export interface StatsReport {
  since: string | null;
  /**
   * total: every request sent (not cache hits); aborted: stopped by the user (Ctrl-C, an interrupted
   * answer), which is not a failure of the server; errorRate: errors / (total - aborted).
   */
  requests: { total: number; errors: number; aborted: number; errorRate: number; topErrors: Array<{ errorClass: string; count: number }> };
  latency: Record<'transcription' | 'firstToken' | 'wholeReply' | 'speechFirstByte' | 'timeToFirstAudio', Distribution>;
  cache: Array<{ kind: CacheKind; hits: number; misses: number; hitRate: number | null; savedDollars: number | null }>;
  models: Array<{ model: string; requests: number; inputTokens: number; outputTokens: number; audioSeconds: number; characters: number; dollars: number | null }>;
  /** Known costs only; models without a price are listed in unpricedModels. */
  totalDollars: number;
  unpricedModels: string[];
  dailyDollars: Array<{ day: string; dollars: number }>;
  turns: { count: number; cpuMilliseconds: Distribution; peakRssBytes: Distribution };
  /**
   * talk's speculative starts (one speculative transcription each): used when the turn was
   * committed with it, discarded when the person spoke on. extraTranscriptionsPerTurn: the
   * discarded transcriptions per stored turn, the cost of speculation.
   */
  speculation: { started: number; used: number; discarded: number; extraTranscriptionsPerTurn: number | null };
  database: StoreSize & { description: string };
  pricesAsOf: string;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

export function distribution(values: Array<number | undefined>): Distribution {
  // Rows may hold anything (a column typed loosely, a row written by hand): only real durations count.
  const present = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0);
  const sorted = [...present].sort((a, b) => a - b);
  return {
    count: present.length,
    average: present.length === 0 ? null : present.reduce((sum, value) => sum + value, 0) / present.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    max: sorted.at(-1) ?? null,
    values: present,
  };
}

/** Stopped by the user. Not an error: left out of the error rate and of `log --errors`, shown as "aborted". */
export function isAborted(request: StoredRequest): boolean {
  return request.errorClass === 'Aborted';
}

/** A failed attempt: an HTTP error, no response, or a failure after the headers. Stopping an answer yourself is not a failure. */
export function isError(request: StoredRequest): boolean {
  if (isAborted(request)) return false;
  return request.errorClass !== undefined || (typeof request.status === 'number' && request.status >= 400);
}

/** What a row used, believable values only: a negative, fractional or absurd count from a server costs nothing and counts nothing. */
function usageOf(request: StoredRequest): Required<{ [Key in keyof Usage]: number | undefined }> {
  const seconds = request.audioSeconds;
  return {
    inputTokens: tokenCount(request.inputTokens),
    outputTokens: tokenCount(request.outputTokens),
    audioSeconds: typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined,
    characters: tokenCount(request.characters),
  };
}

export function computeStats(input: {
  requests: StoredRequest[];
  turns: StoredTurn[];
  size: StoreSize;
  description: string;
  since: number | undefined;
  prices?: Record<string, Price> | undefined;
}): StatsReport {
  const prices = { ...PRICES, ...input.prices };
  const live = input.requests.filter((request) => !request.cached);
  const ok = live.filter((request) => !isError(request) && !isAborted(request));
  const errors = live.filter(isError);
  const aborted = live.filter(isAborted).length;
  const errorCounts = new Map<string, number>();
  for (const request of errors) {
    const name = request.errorClass ?? `HTTP ${request.status}`;
    errorCounts.set(name, (errorCounts.get(name) ?? 0) + 1);
  }
  const chronological = (requests: StoredRequest[]): StoredRequest[] => [...requests].sort((a, b) => a.at - b.at);
  const of = (endpoint: StoredRequest['endpoint']): StoredRequest[] => chronological(ok.filter((request) => request.endpoint === endpoint));

  const latency = {
    transcription: distribution(of('transcription').map((request) => request.latencyMs)),
    firstToken: distribution(of('chat').map((request) => request.firstTokenMs)),
    wholeReply: distribution(of('chat').map((request) => request.latencyMs)),
    speechFirstByte: distribution(of('speech').map((request) => request.firstByteMs)),
    timeToFirstAudio: distribution(input.turns.map((turn) => turn.timeToFirstAudioMilliseconds)),
  };

  const costs = new Map<string, StatsReport['models'][number]>();
  const unpriced = new Set<string>();
  const daily = new Map<string, number>();
  let totalDollars = 0;
  for (const request of input.requests) {
    if (request.cached || request.model === undefined) continue;
    const entry = costs.get(request.model) ?? { model: request.model, requests: 0, inputTokens: 0, outputTokens: 0, audioSeconds: 0, characters: 0, dollars: 0 };
    const usage = usageOf(request);
    entry.requests += 1;
    entry.inputTokens += usage.inputTokens ?? 0;
    entry.outputTokens += usage.outputTokens ?? 0;
    entry.audioSeconds += usage.audioSeconds ?? 0;
    entry.characters += usage.characters ?? 0;
    const cost = costOf(prices[request.model], usage);
    if (cost === undefined) {
      entry.dollars = null;
      unpriced.add(request.model);
    } else if (entry.dollars !== null) {
      entry.dollars += cost;
    }
    if (cost !== undefined) {
      totalDollars += cost;
      if (Number.isFinite(request.at)) {
        const day = new Date(request.at).toISOString().slice(0, 10);
        daily.set(day, (daily.get(day) ?? 0) + cost);
      }
    }
    costs.set(request.model, entry);
  }

  const cache = (['chat', 'speech', 'transcription'] as const).map((kind) => {
    const hits = input.requests.filter((request) => request.cached && request.endpoint === kind);
    const misses = live.filter((request) => request.endpoint === kind && request.attempt === 1).length;
    const saved = hits.map((hit) => costOf(prices[hit.model ?? ''], usageOf(hit)));
    return {
      kind,
      hits: hits.length,
      misses,
      hitRate: hits.length + misses === 0 ? null : hits.length / (hits.length + misses),
      savedDollars: saved.some((cost) => cost === undefined) ? null : saved.reduce<number>((sum, cost) => sum + (cost ?? 0), 0),
    };
  });

  return {
    since: input.since === undefined ? null : new Date(input.since).toISOString(),
    requests: {
      total: live.length,
      errors: errors.length,
      aborted,
      errorRate: live.length - aborted === 0 ? 0 : errors.length / (live.length - aborted),
      topErrors: [...errorCounts].map(([errorClass, count]) => ({ errorClass, count })).sort((a, b) => b.count - a.count).slice(0, 5),
    },
    latency,
    cache,
    models: [...costs.values()].sort((a, b) => (b.dollars ?? 0) - (a.dollars ?? 0) || b.requests - a.requests),
    totalDollars,
    unpricedModels: [...unpriced].sort(),
    dailyDollars: [...daily].map(([day, dollars]) => ({ day, dollars })).sort((a, b) => a.day.localeCompare(b.day)),
    speculation: speculationCounts(live, input.turns),
    turns: {
      count: input.turns.length,
      cpuMilliseconds: distribution(input.turns.map((turn) => turn.cpuMilliseconds)),
      peakRssBytes: distribution(input.turns.map((turn) => turn.peakRssBytes)),
    },
    database: { ...input.size, description: input.description },
    pricesAsOf: PRICES_AS_OF,
  };
}

function speculationCounts(live: StoredRequest[], turns: StoredTurn[]): StatsReport['speculation'] {
  const speculations = new Set(live.filter((request) => request.speculative && request.endpoint === 'transcription' && request.turnKey !== undefined).map((request) => request.turnKey!));
  const committed = new Set(turns.map((turn) => turn.turnKey));
  const used = [...speculations].filter((turnKey) => committed.has(turnKey)).length;
  const discarded = speculations.size - used;
  return { started: speculations.size, used, discarded, extraTranscriptionsPerTurn: turns.length === 0 ? null : discarded / turns.length };
}

/** "24h", "7d", "30d", "all" (or any number with h/d) -> the start time, undefined for all. */
export function parseSince(text: string, now: number): number | undefined {
  if (text === 'all') return undefined;
  const match = /^(\d+)\s*([hd])$/.exec(text.trim());
  if (!match) return Number.NaN;
  return now - Number(match[1]) * (match[2] === 'h' ? 3_600_000 : 86_400_000);
}
