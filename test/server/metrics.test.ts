/**
 * GET /metrics over real HTTP (the app on a loopback port, a real SQLite store, a fake chat
 * model, observed as server-app.ts observes the real one): behind a bearer token like every
 * route but health; requests counted by route pattern and status, latency as a histogram per
 * route and per stage, cache lookups by kind, and model calls that failed upstream. The whole
 * server with real adapters: test/cli/serve-metrics.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssistantError } from '../../src/errors.js';
import { createApp } from '../../src/server/app.js';
import { observedChatModel, ObservedResponseCache, observedStore } from '../../src/server/metric-observers.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { RequestRecord, TokenRecord } from '../../src/store/store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { hashTokenSecret } from '../../src/tokens/token-secret.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { TEST_SETTINGS, baseOf, listenOnLoopback } from '../support/app-server.js';

const ALICE = `ast_${'a'.repeat(32)}`;
const alice: TokenRecord = { id: 'alice-id', name: 'alice', createdAt: new Date(0), lastUsedAt: undefined, revokedAt: undefined, requestsPerMinute: undefined, tokensPerDay: undefined };

let directory: string;
let store: Store;
let server: ServerType;
let base: string;
/** What the cache's request log received, passed on by the metrics. */
let logged: RequestRecord[];

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-metrics-'));
  store = await openStore({ kind: 'sqlite', path: join(directory, 'store.db') });
  logged = [];
  const metrics = new ServerMetrics();
  const chatModel = observedChatModel(new FakeChatModel({ pieces: ['four'] }, { pieces: ['half'], failure: new AssistantError('The model broke.') }), metrics);
  const cache = new ObservedResponseCache(metrics, store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined }, { record: (records) => logged.push(...records), flush: async () => {} });
  const app = createApp(
    { store: observedStore(store, metrics), chatModel, cache, metrics, usage: store, tokens: { tokenByHash: async (hash) => (hash === hashTokenSecret(ALICE) ? alice : undefined) }, ready: async () => {} },
    TEST_SETTINGS,
  );
  server = await listenOnLoopback(app);
  base = baseOf(server);
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

const withToken = { authorization: `Bearer ${ALICE}` };
const ask = (body: unknown): Promise<Response> => fetch(`${base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', ...withToken }, body: JSON.stringify(body) });

/** The exposition's samples as "name{labels}" -> value. */
async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(`${base}/metrics`, { headers: withToken });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const samples = (await response.text()).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return new Map(samples.map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]));
}

describe('GET /metrics', () => {
  it('needs a bearer token, like every route but health', async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: 'authentication' } });
  });

  it('counts requests by route pattern and status, latency per route and stage, cache lookups and upstream errors', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await ask({ text: 'two and two?', temperature: 0 })).status).toBe(200);
    const again = (await (await ask({ text: 'two and two?', temperature: 0 })).json()) as { answer: string; cached: boolean };
    expect(again).toMatchObject({ answer: 'four', cached: true });
    expect((await ask({ text: 'break, please' })).status).toBe(502);
    expect((await ask({})).status).toBe(400);
    expect((await fetch(`${base}/nowhere/at/all`, { headers: withToken })).status).toBe(404);

    const samples = await scrape();
    expect(samples.get('assistant_http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(1);
    expect(samples.get('assistant_http_requests_total{method="POST",route="/v1/ask",status="200"}')).toBe(2);
    expect(samples.get('assistant_http_requests_total{method="POST",route="/v1/ask",status="502"}')).toBe(1);
    expect(samples.get('assistant_http_requests_total{method="POST",route="/v1/ask",status="400"}')).toBe(1);
    // An unknown path is counted under the pattern that caught it, so a scanner cannot multiply series.
    expect([...samples.keys()].some((name) => name.includes('nowhere'))).toBe(false);
    expect(samples.get('assistant_http_request_duration_seconds_count{method="POST",route="/v1/ask"}')).toBe(4);
    expect(samples.get('assistant_http_request_duration_seconds_bucket{method="POST",route="/v1/ask",le="+Inf"}')).toBe(4);
    expect(samples.get('assistant_cache_hits_total{kind="chat"}')).toBe(1);
    expect(samples.get('assistant_cache_misses_total{kind="chat"}')).toBe(1);
    expect(samples.get('assistant_upstream_errors_total{endpoint="chat",status="none",error="AssistantError"}')).toBe(1);
    // The answer and the failed one's half: a first token each; one whole answer.
    expect(samples.get('assistant_stage_duration_seconds_count{stage="first_token"}')).toBe(2);
    expect(samples.get('assistant_stage_duration_seconds_count{stage="chat"}')).toBe(1);
    expect(samples.get('assistant_stage_duration_seconds_bucket{stage="chat",le="+Inf"}')).toBe(1);
    // Three questions and two answers stored (the failed answer's half too), and three turns.
    expect(samples.get('assistant_stage_duration_seconds_count{stage="store_write"}')).toBeGreaterThanOrEqual(6);
    // The cache's own request log still receives its rows.
    expect(logged.filter((record) => record.cached)).toHaveLength(1);
  });

  it('a client that goes away is not an upstream error', async () => {
    const metrics = new ServerMetrics();
    const chatModel = observedChatModel(new FakeChatModel({ pieces: ['first '], stall: true }), metrics);
    const controller = new AbortController();
    const events = chatModel.generate({ model: 'chat-model', messages: [], stream: true }, { signal: controller.signal })[Symbol.asyncIterator]();
    expect(await events.next()).toMatchObject({ value: { type: 'text' } });
    const ended = events.next();
    controller.abort();
    await expect(ended).rejects.toMatchObject({ name: 'AbortError' });
    expect(metrics.exposition()).not.toContain('assistant_upstream_errors_total{');
  });
});
