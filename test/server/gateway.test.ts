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
import type { ServerType } from '@hono/node-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { StoreRequestLog } from '../../src/observability/request-log.js';
import { createApp, type RequestLogLine } from '../../src/server/app.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { hashTokenSecret } from '../../src/tokens/token-secret.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { FakeOpenAIServer, MODELS, parseMultipart, toneWav } from '../support/openai-server.js';
import { waitUntil } from '../support/wait-for.js';
import { TEST_SETTINGS, baseOf, listenOnLoopback } from '../support/app-server.js';

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
      usage: store,
      chatModel: new FakeChatModel(),
      cache,
      tokens: store,
      ready: async () => {},
      log: (line) => logged.push(line),
      gateway: { upstream: { baseURL, apiKey: SERVER_KEY, timeoutMilliseconds }, fetch: globalThis.fetch, cache, requestLog },
    },
    TEST_SETTINGS,
  );
  server = await listenOnLoopback(app);
  base = baseOf(server);
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

describe('POST /v1/chat/completions', () => {
  it("answers as OpenAI's JSON, with unknown OpenAI fields passed through and the server's key upstream", async () => {
    const response = await chat(question('hello', { seed: 7, user: 'alice-laptop', max_completion_tokens: 50 }));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req_test_1');
    const body = (await response.json()) as { object: string; choices: Array<{ message: { content: string } }> };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]!.message.content).toBe('You said: hello');
    const received = upstream.chatRequests.at(-1)!;
    expect(received.headers.authorization).toBe(`Bearer ${SERVER_KEY}`);
    expect(received.body).toEqual(question('hello', { seed: 7, user: 'alice-laptop', max_completion_tokens: 50 }));
    expect((await loggedRows()).map((row) => [row.endpoint, row.status, row.cached, row.outputTokens])).toEqual([['chat', 200, false, 3]]);
    expect(logged.at(-1)).toMatchObject({ path: '/v1/chat/completions', status: 200, token: 'alice' });
  });

  it('streams piece by piece as the upstream sends them, and a client going away aborts the upstream call', async () => {
    // An upstream that sends two pieces, then holds the rest until its client goes.
    let upstreamClosed: Promise<unknown> | undefined;
    const holding = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of ['one ', 'two ']) response.write(`data: ${JSON.stringify({ model: 'test-model', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
      upstreamClosed = once(response, 'close');
    }).listen(0, '127.0.0.1');
    await once(holding, 'listening');
    await restart(`http://127.0.0.1:${(holding.address() as AddressInfo).port}/v1`, 15_000);
    // A raw request, so that going away closes the connection at once (fetch would keep it alive).
    const request = httpRequest(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` } });
    request.on('error', () => {});
    request.end(JSON.stringify(question('stream', { stream: true })));
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    expect(response.headers['content-type']).toContain('text/event-stream');
    let events = '';
    // The upstream has sent two pieces and holds the rest: both arrive before it says more.
    for await (const chunk of response) {
      events += (chunk as Buffer).toString();
      if (events.includes('"two "')) break;
    }
    expect(events).toContain('"one "');
    expect(events).not.toContain('[DONE]');
    request.destroy();
    await upstreamClosed;
    holding.close();
    await waitUntil(async () => (await loggedRows()).some((row) => row.errorClass === 'Aborted'), 'the abandoned call to be logged');
    expect((await loggedRows()).map((row) => [row.endpoint, row.status, row.errorClass])).toEqual([['chat', 200, 'Aborted']]);
  });

  it('passes a whole stream through unchanged, ending with [DONE]', async () => {
    const response = await chat(question('all of it', { stream: true, stream_options: { include_usage: true } }));
    const text = await response.text();
    const pieces = [...text.matchAll(/^data: (\{.*\})$/gm)].map(([, data]) => JSON.parse(data!) as { choices: Array<{ delta: { content?: string } }>; usage?: unknown });
    expect(pieces.map((piece) => piece.choices[0]?.delta.content ?? '').join('')).toBe('You said: all of it');
    expect(pieces.at(-1)!.usage).toBeDefined();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect((await loggedRows()).map((row) => [row.endpoint, row.status, row.errorClass, row.outputTokens])).toEqual([['chat', 200, undefined, 5]]);
  });

  it('serves a deterministic request from the shared cache without an upstream call, as JSON or as a synthesized stream', async () => {
    const deterministic = question('same every time', { temperature: 0 });
    const first = (await (await chat(deterministic)).json()) as { choices: Array<{ message: { content: string } }> };
    const again = await chat(deterministic);
    expect(again.headers.get('x-assistant-cache')).toBe('hit');
    expect(((await again.json()) as typeof first).choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    const streamed = await chat({ ...deterministic, stream: true });
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    const text = await streamed.text();
    const content = [...text.matchAll(/^data: (\{.*\})$/gm)].map(([, data]) => (JSON.parse(data!) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '').join('');
    expect(content).toBe('You said: same every time');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(upstream.chatRequests).toHaveLength(1);
    expect((await loggedRows()).map((row) => row.cached)).toEqual([false, true, true]);
  });

  it('a streamed deterministic answer fills the cache too; a request with a temperature or tools is never served from it', async () => {
    await (await chat(question('streamed first', { temperature: 0, stream: true }))).text();
    expect((await chat(question('streamed first', { temperature: 0 }))).headers.get('x-assistant-cache')).toBe('hit');
    await (await chat(question('warm', { temperature: 0.7 }))).text();
    await (await chat(question('warm', { temperature: 0.7 }))).text();
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    await (await chat(question('tools', { temperature: 0, tools }))).text();
    await (await chat(question('tools', { temperature: 0, tools }))).text();
    expect(upstream.chatRequests).toHaveLength(5);
  });

  it.each([
    ['not JSON', '{"model":', undefined, 'The body is not JSON.'],
    ['no model', { messages: [{ role: 'user', content: 'hi' }] }, 'model', 'model:'],
    ['a hostile model name', question('hi', { model: 'gpt\u001b[31m' }), 'model', 'model: is not a model name.'],
    ['no messages', { model: 'test-model' }, 'messages', 'messages:'],
    ['an empty messages list', { model: 'test-model', messages: [] }, 'messages', 'messages: is empty.'],
    ['an unknown role', { model: 'test-model', messages: [{ role: 'root', content: 'hi' }] }, 'messages.0.role', 'messages.0.role:'],
  ])('refuses %s with a 400 naming the field, and sends nothing upstream', async (_name, body, field, message) => {
    const response = await chat(body);
    expect(response.status).toBe(400);
    const error = ((await response.json()) as { error: { message: string; field?: string } }).error;
    expect(error.message).toContain(message);
    expect(error.field).toBe(field);
    expect(upstream.requests).toHaveLength(0);
  });

  it('an upstream error keeps its status and Retry-After, in our JSON error shape', async () => {
    upstream.enqueue({ status: 429, errorMessage: 'Slow down.', headers: { 'retry-after': '7' } }, { status: 500, errorMessage: 'Upstream broke.' });
    const limited = await chat(question('one'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({ error: { message: 'The upstream server answered 429: Slow down.', type: 'upstream' } });
    const broken = await chat(question('two', { stream: true }));
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as { error: { type: string } }).error.type).toBe('upstream');
    expect((await loggedRows()).map((row) => [row.status, row.errorClass])).toEqual([[429, 'HTTP429'], [500, 'HTTP500']]);
  });

  it("the server's key refused upstream is a 502 that does not repeat the upstream's message", async () => {
    upstream.enqueue({ status: 401, errorMessage: `Incorrect API key provided: ${SERVER_KEY}` });
    const response = await chat(question('hi'));
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(text).toContain("refused the server's key");
    expect(text).not.toContain(SERVER_KEY);
  });

  it('a silent upstream is a 504 after TIMEOUT; an unreachable one is a 502', async () => {
    await restart(upstream.url, 200);
    upstream.enqueue({ hang: true });
    const silent = await chat(question('anyone?'));
    expect(silent.status).toBe(504);
    expect(((await silent.json()) as { error: { message: string } }).error.message).toContain('silent for 0.2 s');
    await restart('http://127.0.0.1:9/v1', 15_000);
    const unreachable = await chat(question('anyone?'));
    expect(unreachable.status).toBe(502);
    expect(await unreachable.json()).toEqual({ error: { message: 'The upstream server could not be reached.', type: 'upstream' } });
  });
});

describe('the audio routes', () => {
  const authorized = { authorization: `Bearer ${ALICE}` };
  const upload = (file: Blob | undefined, name: string, fields: Record<string, string> = { model: 'whisper-1' }): Promise<Response> => {
    const form = new FormData();
    for (const [field, value] of Object.entries(fields)) form.append(field, value);
    if (file) form.append('file', file, name);
    return fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', headers: authorized, body: form });
  };

  it("POST /v1/audio/speech streams the upstream's audio back, asked with the server's key", async () => {
    const response = await fetch(`${base}/v1/audio/speech`, {
      method: 'POST',
      headers: { ...authorized, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', input: 'Say this.', voice: 'alloy', response_format: 'wav' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await response.arrayBuffer()).equals(toneWav('Say this.'.length * 12))).toBe(true);
    expect(upstream.speechRequests[0]!.headers.authorization).toBe(`Bearer ${SERVER_KEY}`);
    expect(upstream.speechRequests[0]!.body).toEqual({ model: 'tts-1', input: 'Say this.', voice: 'alloy', response_format: 'wav' });
    expect((await loggedRows()).map((row) => [row.endpoint, row.status])).toEqual([['speech', 200]]);
  });

  it('POST /v1/audio/transcriptions sends the upload on (larger than the API body limit, within 25 MB) and returns the transcript', async () => {
    const audio = toneWav(5_000);
    expect(audio.length).toBeGreaterThan(10_000 * 2 + 64 * 1024);
    const response = await upload(new Blob([audio]), 'question.wav', { model: 'whisper-1', language: 'en' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ text: 'hello from the microphone' });
    const received = upstream.transcriptionRequests[0]!;
    expect(received.headers.authorization).toBe(`Bearer ${SERVER_KEY}`);
    const sent = parseMultipart(received)!;
    expect(sent.file.equals(audio)).toBe(true);
    expect(sent.fields).toMatchObject({ model: 'whisper-1', language: 'en' });
    expect((await loggedRows()).map((row) => [row.endpoint, row.status])).toEqual([['transcription', 200]]);
  });

  it.each([
    ['no file', undefined, 'question.wav', {}, 400, 'file'],
    ['a file that is not audio', new Blob(['hello']), 'notes.txt', {}, 415, 'file'],
    ['an empty file', new Blob([]), 'question.wav', {}, 400, 'file'],
    ['a hostile model name', new Blob(['RIFF']), 'question.wav', { model: 'whisper\u001b[2J' }, 400, 'model'],
    ['an upload over 25 MB', new Blob([new Uint8Array(25 * 1024 * 1024 + 1)]), 'long.wav', {}, 413, 'file'],
  ])('refuses %s with a JSON error naming the field, and sends nothing upstream', async (_name, file, name, fields, status, field) => {
    const response = await upload(file, name, { model: 'whisper-1', ...fields });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { field?: string } }).error.field).toBe(field);
    expect(upstream.requests).toHaveLength(0);
  });

  it('speech refuses an empty input and an unknown voice shape', async () => {
    for (const [body, field] of [[{ model: 'tts-1', input: '', voice: 'alloy' }, 'input'], [{ model: 'tts-1', input: 'hi', voice: '../x' }, 'voice']] as const) {
      const response = await fetch(`${base}/v1/audio/speech`, { method: 'POST', headers: { ...authorized, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { field?: string } }).error.field).toBe(field);
    }
    expect(upstream.requests).toHaveLength(0);
  });
});
