/**
 * Per-token limits over real HTTP (the app on a loopback port), on a real store (SQLite, and
 * PostgreSQL when ASSISTANT_TEST_POSTGRES_URL is set) with real tokens and a fake clock:
 * requests per minute, tokens per day, concurrent calls; a refusal is a 429 with Retry-After,
 * the JSON error shape, and nothing sent to the model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { createApp } from '../../src/server/app.js';
import { openStore } from '../../src/store/open-store.js';
import type { NewToken, Store } from '../../src/store/store.js';
import { hashTokenSecret } from '../../src/tokens/token-secret.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { FakeOpenAIServer } from '../support/openai-server.js';
import { POSTGRES_URL, createTestDatabase, dropTestDatabase } from '../support/postgres.js';
import { waitUntil } from '../support/wait-for.js';
import { TEST_SETTINGS, baseOf, listenOnLoopback } from '../support/app-server.js';

const ALICE = `ast_${'a'.repeat(32)}`;
const BOB = `ast_${'b'.repeat(32)}`;
const DAY = 86_400_000;
// 15 s into a UTC minute, 10 h into a UTC day.
const START = 20_000 * DAY + 10 * 3_600_000 + 15_000;

const stores: Array<[string, () => Promise<{ store: Store; cleanUp: () => Promise<void> }>]> = [
  ['SQLite', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'assistant-limits-'));
    return { store: await openStore({ kind: 'sqlite', path: join(directory, 'store.db') }, { now: () => clock }), cleanUp: async () => rmSync(directory, { recursive: true, force: true }) };
  }],
];
const databases: string[] = [];
if (POSTGRES_URL) {
  stores.push(['PostgreSQL', async () => {
    const url = await createTestDatabase();
    databases.push(url);
    return { store: await openStore({ kind: 'postgres', url }, { now: () => clock }), cleanUp: async () => {} };
  }]);
}
afterAll(async () => {
  await Promise.all(databases.map(dropTestDatabase));
});

let clock = START;
let store: Store;
let cleanUp: () => Promise<void>;
let server: ServerType | undefined;
let base: string;

async function start(chatModel: FakeChatModel, tokens: Array<Omit<NewToken, 'hash'> & { secret: string }>, concurrentCallsPerToken?: number, gatewayTo?: FakeOpenAIServer): Promise<void> {
  for (const { secret, ...token } of tokens) await store.createToken({ ...token, hash: hashTokenSecret(secret) });
  const cache = new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined });
  const gateway = gatewayTo && { upstream: { baseURL: gatewayTo.url, apiKey: 'sk-server', timeoutMilliseconds: 15_000 }, fetch: globalThis.fetch, cache };
  const app = createApp(
    { store, chatModel, cache, tokens: store, usage: store, now: () => clock, ready: async () => {}, ...(gateway ? { gateway } : {}) },
    // The gateway's cache follows the server's setting: on, so a deterministic request can be a hit.
    { ...TEST_SETTINGS, cacheAnswers: gateway ? 'auto' : 'never', concurrentCallsPerToken },
  );
  server = await listenOnLoopback(app);
  base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const ask = (text: string, token = ALICE): Promise<Response> =>
  fetch(`${base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ text }) });

/** A streamed ask left open: destroy() is the client going away. */
function openStream(text: string): ClientRequest {
  const request = httpRequest(`${base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}`, accept: 'text/event-stream' } });
  request.on('error', () => {});
  request.end(JSON.stringify({ text }));
  return request;
}

async function expectRefused(response: Response, message: RegExp, retryAfter: number): Promise<void> {
  expect(response.status).toBe(429);
  expect(response.headers.get('retry-after')).toBe(String(retryAfter));
  expect(await response.json()).toEqual({ error: { message: expect.stringMatching(message), type: 'rate_limit' } });
}

describe.each(stores)('limits on %s', (_name, open) => {
  beforeEach(async () => {
    clock = START;
    ({ store, cleanUp } = await open());
  });
  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await store.close();
    await cleanUp();
  });

  it('refuses the request over the per-minute limit with 429 and Retry-After, sends it nowhere, and lets it in next minute', async () => {
    const chatModel = new FakeChatModel();
    await start(chatModel, [{ name: 'alice', secret: ALICE, requestsPerMinute: 2 }, { name: 'bob', secret: BOB }]);
    expect((await ask('one')).status).toBe(200);
    expect((await ask('two')).status).toBe(200);
    await expectRefused(await ask('three'), /over its limit of 2 requests per minute\. Retry in 45 s\./, 45);
    expect(chatModel.requests.map((request) => request.messages.at(-1)!.content)).toEqual(['one', 'two']);
    expect((await store.listSessions({ limit: 10 })).map((session) => session.preview)).not.toContain('three');
    // Another token has its own limits (none here).
    expect((await ask('bob', BOB)).status).toBe(200);
    clock += 45_000;
    expect((await ask('four')).status).toBe(200);
  });

  it('charges each answer\'s tokens to the day and refuses once the day is used up, until the next UTC day', async () => {
    // Each answer: 3 prompt + 1 completion tokens (the fake model's usage).
    const chatModel = new FakeChatModel();
    await start(chatModel, [{ name: 'alice', secret: ALICE, tokensPerDay: 5 }]);
    expect((await ask('one')).status).toBe(200);
    expect((await ask('two')).status).toBe(200);
    const [alice] = await store.listTokens();
    expect(await store.tokensUsed(alice!.id, 20_000 * DAY)).toBe(8);
    await expectRefused(await ask('three'), /used 8 of its 5 tokens today \(UTC\)\. Retry in 50385 s\./, 50_385);
    expect(chatModel.requests).toHaveLength(2);
    clock = 20_001 * DAY;
    expect((await ask('tomorrow')).status).toBe(200);
    expect(await store.tokensUsed(alice!.id, 20_001 * DAY)).toBe(4);
  });

  it('charges gateway chat completions, whole and streamed, to the day (a cached answer costs nothing) and refuses once it is spent', async () => {
    const upstream = await new FakeOpenAIServer().start();
    try {
      upstream.defaultReply = { text: 'Hi there', usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } };
      await start(new FakeChatModel(), [{ name: 'alice', secret: ALICE, tokensPerDay: 30 }], undefined, upstream);
      const [alice] = await store.listTokens();
      const used = (): Promise<number> => store.tokensUsed(alice!.id, 20_000 * DAY);
      const chat = (body: Record<string, unknown>): Promise<Response> =>
        fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], ...body }) });

      expect((await chat({})).status).toBe(200);
      expect(await used()).toBe(10);
      // Deterministic: the first is asked upstream and charged; the same again is a cache hit, free.
      expect((await chat({ temperature: 0 })).status).toBe(200);
      const hit = await chat({ temperature: 0 });
      expect(hit.headers.get('x-assistant-cache')).toBe('hit');
      expect(await used()).toBe(20);
      // Streamed without asking for usage: the upstream is asked for it, the client does not get it, and it is charged.
      const streamed = await (await chat({ stream: true })).text();
      expect(streamed).toContain('"Hi "');
      expect(streamed).not.toContain('"usage"');
      expect(streamed.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect(upstream.chatRequests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
      expect(await used()).toBe(30);
      const asked = upstream.chatRequests.length;
      await expectRefused(await chat({ stream: true }), /used 30 of its 30 tokens today \(UTC\)\. Retry in 50385 s\./, 50_385);
      expect(upstream.chatRequests).toHaveLength(asked);
    } finally {
      await upstream.close();
    }
  });

  it('bounds a token\'s concurrent model calls in the process, holding a slot while an answer streams', async () => {
    const chatModel = new FakeChatModel({ pieces: ['a'], stall: true }, { pieces: ['b'], stall: true });
    await start(chatModel, [{ name: 'alice', secret: ALICE }, { name: 'bob', secret: BOB }], 2);
    const first = openStream('first');
    const second = openStream('second');
    await waitUntil(() => chatModel.requests.length === 2, 'two answers in progress');
    await expectRefused(await ask('third'), /2 requests in progress already \(at most 2 at once\)/, 1);
    expect(chatModel.requests).toHaveLength(2);
    // Reading is not a model call, and another token has its own slots.
    expect((await fetch(`${base}/v1/openapi.json`, { headers: { authorization: `Bearer ${ALICE}` } })).status).toBe(200);
    expect((await ask('bob', BOB)).status).toBe(200);
    first.destroy();
    await waitUntil(async () => (await ask('after')).status === 200, 'a slot freed by the client that went away');
    second.destroy();
    // Both cut-off answers are stored as interrupted before the store closes.
    await waitUntil(async () => {
      const sessions = await store.listSessions({ limit: 10 });
      return sessions.length === 4 && sessions.every((session) => session.messageCount === 2);
    }, 'every answer to be stored');
  });
});
