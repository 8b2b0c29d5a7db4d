/**
 * The OpenAI-compatible gateway over real HTTP (the app on a loopback port) with the local
 * OpenAI-compatible server upstream and a real SQLite store: the server's key upstream and
 * never the client's token, chat completions whole and streamed piece by piece, the shared
 * cache for deterministic requests, validation, and upstream failures mapped to our shape.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { StoreRequestLog } from '../../src/observability/request-log.js';
import { createApp, type RequestLogLine } from '../../src/server/app.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { hashTokenSecret } from '../../src/tokens/token-secret.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { FakeOpenAIServer, MODELS } from '../support/openai-server.js';
import { waitUntil } from '../support/wait-for.js';

const ALICE = `ast_${'a'.repeat(32)}`;
const SERVER_KEY = 'sk-server-key-upstream-only';

let upstream: FakeOpenAIServer;
let directory: string;
let store: Store;
let requestLog: StoreRequestLog;
let server: ServerType;
let base: string;
let logged: RequestLogLine[];

beforeAll(async () => {
  upstream = await new FakeOpenAIServer().start();
});
afterAll(() => upstream.close());

beforeEach(async () => {
  upstream.reset();
  directory = mkdtempSync(join(tmpdir(), 'assistant-gateway-'));
  store = await openStore({ kind: 'sqlite', path: join(directory, 'store.db') });
  await store.createToken({ name: 'alice', hash: hashTokenSecret(ALICE) });
  await start(upstream.url, 15_000);
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await requestLog.flush();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

async function start(baseURL: string, timeoutMilliseconds: number): Promise<void> {
  logged = [];
  requestLog = new StoreRequestLog(async () => store, 30);
  const cache = new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined }, requestLog);
  const app = createApp(
    {
      store,
      chatModel: new FakeChatModel(),
      cache,
      tokens: store,
      ready: async () => {},
      log: (line) => logged.push(line),
      gateway: { upstream: { baseURL, apiKey: SERVER_KEY, timeoutMilliseconds }, fetch: globalThis.fetch, cache, requestLog },
    },
    { version: 'test', model: 'chat-model', system: undefined, temperature: undefined, contextTokens: 16_000, cacheAnswers: 'auto', maxInputBytes: 10_000 },
  );
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function restart(baseURL: string, timeoutMilliseconds: number): Promise<void> {
  await new Promise((resolve) => server.close(resolve));
  await start(baseURL, timeoutMilliseconds);
}

const chat = (body: unknown, token: string | null = ALICE): Promise<Response> =>
  fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const question = (text: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: 'test-model', messages: [{ role: 'user', content: text }], ...extra });

async function loggedRows(): Promise<Array<{ endpoint: string; status?: number | undefined; cached: boolean; errorClass?: string | undefined; requestId?: string | undefined; outputTokens?: number | undefined }>> {
  await requestLog.flush();
  return (await store.requests({ limit: 50 })).reverse();
}

describe('GET /v1/models', () => {
  it("is forwarded with the server's key, never the client's token, and logged", async () => {
    const response = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${ALICE}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id)).toEqual(MODELS);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SERVER_KEY}`);
    expect(JSON.stringify(upstream.requests.at(-1)!.headers)).not.toContain(ALICE);
    expect((await loggedRows()).map((row) => [row.endpoint, row.status, row.requestId])).toEqual([['models', 200, 'req_test_1']]);
    expect(logged.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models', status: 200, token: 'alice' });
  });

  it('needs a token; without one nothing goes upstream', async () => {
    expect((await fetch(`${base}/v1/models`)).status).toBe(401);
    expect(upstream.requests).toHaveLength(0);
  });
});
