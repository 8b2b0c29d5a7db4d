import { describe, expect, it } from 'vitest';
import { computeStats, distribution, parseSince, percentile } from '../../src/observability/stats.js';
import { PRICES, costOf } from '../../src/observability/prices.js';
import type { StoredRequest, StoredTurn } from '../../src/store/store.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 12);
let id = 0;

function request(fields: Partial<StoredRequest>): StoredRequest {
  id += 1;
  return { id, at: T0, endpoint: 'chat', host: 'h', model: 'gpt-4o-mini', attempt: 1, cached: false, status: 200, ...fields };
}

function turn(fields: Partial<StoredTurn>): StoredTurn {
  id += 1;
  return { id, sessionId: 's', userMessageId: 1, assistantMessageId: 2, input: 'voice', status: 'complete', timings: {}, timeToFirstAudioMilliseconds: undefined, createdAt: new Date(T0), ...fields };
}

describe('percentiles', () => {
  it('uses the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.95)).toBe(95);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
    expect(distribution([300, 100, 200, undefined])).toMatchObject({ count: 3, average: 200, p50: 200, p95: 300, max: 300 });
  });
});

describe('computeStats', () => {
  const requests: StoredRequest[] = [
    // 20 chat calls: first token 100..2000 ms, whole reply twice that; 1M input and 0.5M output tokens in all.
    ...Array.from({ length: 20 }, (_, index) =>
      request({ at: T0 + index * 1000, firstTokenMs: (index + 1) * 100, latencyMs: (index + 1) * 200, inputTokens: 50_000, outputTokens: 25_000 }),
    ),
    // A 429 that was retried (then succeeded above), and a connection failure.
    request({ status: 429, errorClass: 'RateLimitError', attempt: 1 }),
    request({ status: undefined, errorClass: 'ECONNREFUSED', attempt: 1 }),
    // Stopped by the user: not an error.
    request({ status: 200, errorClass: 'Aborted' }),
    // Two cache hits worth 10k input + 5k output tokens each.
    request({ cached: true, latencyMs: 0, inputTokens: 10_000, outputTokens: 5_000 }),
    request({ cached: true, latencyMs: 0, inputTokens: 10_000, outputTokens: 5_000 }),
    // Transcription: 2 minutes of audio at $0.003/min; speech from a model with no price.
    request({ endpoint: 'transcription', model: 'gpt-4o-mini-transcribe', latencyMs: 300, audioSeconds: 120 }),
    request({ endpoint: 'speech', model: 'local-voice', firstByteMs: 200, characters: 500, at: T0 + DAY }),
    request({ endpoint: 'chat', model: 'local-llama', inputTokens: 10, outputTokens: 5, at: T0 + DAY }),
  ];
  const turns = [turn({ timeToFirstAudioMilliseconds: 900, cpuMilliseconds: 40, peakRssBytes: 100e6 }), turn({ timeToFirstAudioMilliseconds: 4100, cpuMilliseconds: 60, peakRssBytes: 120e6 })];
  const report = computeStats({ requests, turns, size: { bytes: 4096, rows: { messages: 3 } }, description: 'test', since: undefined });

  it('counts requests, errors and the top error classes (cache hits excluded; user stops counted apart, not in the rate)', () => {
    expect(report.requests).toEqual({
      total: 26,
      errors: 2,
      aborted: 1,
      errorRate: 2 / 25,
      topErrors: [
        { errorClass: 'RateLimitError', count: 1 },
        { errorClass: 'ECONNREFUSED', count: 1 },
      ],
    });
  });

  it('gives latency per stage', () => {
    expect(report.latency.firstToken).toMatchObject({ count: 20, average: 1050, p50: 1000, p95: 1900, max: 2000 });
    expect(report.latency.wholeReply).toMatchObject({ p50: 2000, max: 4000 });
    expect(report.latency.transcription).toMatchObject({ count: 1, average: 300 });
    expect(report.latency.speechFirstByte).toMatchObject({ count: 1, max: 200 });
    expect(report.latency.timeToFirstAudio).toMatchObject({ count: 2, average: 2500, p50: 900, max: 4100 });
  });

  it('prices tokens per model, and never guesses an unknown price', () => {
    const mini = report.models.find((model) => model.model === 'gpt-4o-mini')!;
    // 1M input at $0.15 + 0.5M output at $0.60 = $0.45
    expect(mini).toMatchObject({ requests: 23, inputTokens: 1_000_000, outputTokens: 500_000 });
    expect(mini.dollars).toBeCloseTo(0.45, 10);
    expect(report.models.find((model) => model.model === 'gpt-4o-mini-transcribe')!.dollars).toBeCloseTo(0.006, 10);
    expect(report.models.find((model) => model.model === 'local-llama')!.dollars).toBeNull();
    expect(report.models.find((model) => model.model === 'local-voice')!.dollars).toBeNull();
    expect(report.unpricedModels).toEqual(['local-llama', 'local-voice']);
    expect(report.totalDollars).toBeCloseTo(0.456, 10);
    expect(report.dailyDollars.map((day) => day.day)).toEqual(['2026-11-20']);
  });

  it('uses configured prices over the built-in table', () => {
    const priced = computeStats({ requests, turns, size: { bytes: 0, rows: {} }, description: '', since: undefined, prices: { 'local-llama': { input: 1, output: 2 } } });
    expect(priced.models.find((model) => model.model === 'local-llama')!.dollars).toBeCloseTo((10 * 1 + 5 * 2) / 1e6, 12);
  });

  it('gives the cache hit rate and what the hits saved', () => {
    const chat = report.cache.find((kind) => kind.kind === 'chat')!;
    expect(chat.hits).toBe(2);
    expect(chat.misses).toBe(24);
    expect(chat.hitRate).toBeCloseTo(2 / 26, 10);
    // 2 x (10k x $0.15 + 5k x $0.60) / 1M = $0.009
    expect(chat.savedDollars).toBeCloseTo(0.009, 10);
  });

  it('summarizes CPU and memory per turn', () => {
    expect(report.turns.cpuMilliseconds).toMatchObject({ p50: 40, max: 60 });
    expect(report.turns.peakRssBytes).toMatchObject({ p50: 100e6, max: 120e6 });
  });
});

describe('rows a server or a hand got wrong', () => {
  const odd = [
    request({ inputTokens: 1000, outputTokens: 100, latencyMs: 400, firstTokenMs: 100 }),
    request({ inputTokens: -1_000_000, outputTokens: 2.5, latencyMs: -5 }),
    request({ inputTokens: 5e12, outputTokens: Number.NaN, latencyMs: Number.NaN }),
    request({ inputTokens: 'abc' as unknown as number, outputTokens: '7' as unknown as number, latencyMs: 'slow' as unknown as number }),
    request({ endpoint: 'transcription', model: 'gpt-4o-mini-transcribe', audioSeconds: 'x' as unknown as number }),
    request({ model: undefined, inputTokens: 10 }),
    request({ at: Number.NaN, inputTokens: 1000 }),
    request({ status: 'x' as unknown as number, errorClass: undefined }),
  ];

  it('never yields NaN, a negative cost or absurd token counts, and does not throw', () => {
    const report = computeStats({ requests: odd, turns: [turn({ cpuMilliseconds: Number.NaN, peakRssBytes: -1 })], size: { bytes: 0, rows: {} }, description: '', since: undefined });
    const json = JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? `not finite: ${value}` : value));
    expect(json).not.toContain('not finite');
    const mini = report.models.find((model) => model.model === 'gpt-4o-mini')!;
    expect(mini).toMatchObject({ inputTokens: 2000, outputTokens: 100 });
    expect(mini.dollars).toBeCloseTo((2000 * 0.15 + 100 * 0.6) / 1e6, 12);
    expect(report.totalDollars).toBeGreaterThanOrEqual(0);
    expect(report.latency.wholeReply).toMatchObject({ count: 1, average: 400 });
    expect(report.turns.cpuMilliseconds.average).toBeNull();
  });

  it('has no NaN for an empty log', () => {
    const report = computeStats({ requests: [], turns: [], size: { bytes: 0, rows: {} }, description: '', since: undefined });
    expect(report.requests).toMatchObject({ total: 0, errors: 0, aborted: 0, errorRate: 0 });
    expect(report.cache.every((kind) => kind.hitRate === null)).toBe(true);
  });
});

describe('parseSince and costOf', () => {
  it('reads windows', () => {
    expect(parseSince('24h', T0)).toBe(T0 - DAY);
    expect(parseSince('7d', T0)).toBe(T0 - 7 * DAY);
    expect(parseSince('all', T0)).toBeUndefined();
    expect(parseSince('soon', T0)).toBeNaN();
  });

  it('is undefined when a model lacks the price for what it used', () => {
    expect(costOf({ perMinute: 0.006 }, { inputTokens: 5 })).toBeUndefined();
    expect(costOf(undefined, {})).toBeUndefined();
    expect(costOf({ input: 1 }, {})).toBe(0);
    // gpt-4o-mini-tts, the default voice: OpenAI's estimate of $0.015 a minute, as ~$17.5 per million characters.
    expect(costOf(PRICES['gpt-4o-mini-tts'], { characters: 855 })).toBeCloseTo(0.015, 3);
  });
});
