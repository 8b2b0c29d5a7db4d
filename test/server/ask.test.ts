/**
 * The server's ask route over real HTTP (the app on a loopback port), with a real SQLite store
 * and a fake chat model: tokens, validation, JSON and server-sent events, sessions per token,
 * a client that goes away, a model that fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { AssistantError } from '../../src/errors.js';
import { createApp, type RequestLogLine } from '../../src/server/app.js';
import type { TokenLookup } from '../../src/server/auth.js';
import type { TokenRecord } from '../../src/store/store.js';
import { hashTokenSecret as hashToken } from '../../src/tokens/token-secret.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { waitUntil } from '../support/wait-for.js';
import { TEST_SETTINGS, baseOf, listenOnLoopback } from '../support/app-server.js';

const ALICE = `ast_${'a'.repeat(32)}`;
const BOB = `ast_${'b'.repeat(32)}`;
const REVOKED = `ast_${'r'.repeat(32)}`;

class Tokens implements TokenLookup {
  private readonly byHash = new Map<string, TokenRecord>([
    [hashToken(ALICE), token('alice-id', 'alice')],
    [hashToken(BOB), token('bob-id', 'bob')],
    [hashToken(REVOKED), { ...token('old-id', 'old'), revokedAt: new Date(0) }],
  ]);
  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.byHash.get(hash);
  }
}

function token(id: string, name: string): TokenRecord {
  return { id, name, createdAt: new Date(0), lastUsedAt: undefined, revokedAt: undefined, requestsPerMinute: undefined, tokensPerDay: undefined };
}

let directory: string;
let store: Store;
let chatModel: FakeChatModel;
let server: ServerType;
let base: string;
let logged: RequestLogLine[];

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-server-'));
  store = await openStore({ kind: 'sqlite', path: join(directory, 'store.db') });
  chatModel = new FakeChatModel();
  logged = [];
  const cache = new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined });
  const app = createApp(
    { store, chatModel, cache, tokens: new Tokens(), usage: store, ready: async () => void (await store.getSession('probe')), log: (line) => logged.push(line) },
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

const ask = (body: unknown, token: string | null = ALICE, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${base}/v1/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('health', () => {
  it('healthz and readyz answer without a token', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});

describe('POST /v1/ask', () => {
  it('answers as JSON in a new session owned by the token, stored with the question first', async () => {
    chatModel = Object.assign(chatModel, {});
    const response = await ask({ text: 'hello' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { session: string; answer: string; cached: boolean; status: string };
    expect(body).toMatchObject({ answer: 'ok', cached: false, status: 'complete', model: 'chat-model' });
    expect((await store.messages(body.session)).map((message) => [message.role, message.content])).toEqual([['user', 'hello'], ['assistant', 'ok']]);
    expect((await store.getSession(body.session))?.owner).toBe('token:alice-id');
    expect(chatModel.requests[0]!.messages).toEqual([{ role: 'user', content: 'hello' }]);
    expect(logged.at(-1)).toMatchObject({ method: 'POST', path: '/v1/ask', status: 200, token: 'alice' });
    expect(JSON.stringify(logged)).not.toContain(ALICE);
  });

  it('continues a session of the same token; another token gets 404, not 403', async () => {
    const first = (await (await ask({ text: 'one' })).json()) as { session: string };
    expect((await ask({ text: 'two', session: first.session })).status).toBe(200);
    expect(chatModel.requests[1]!.messages.map((message) => message.content)).toEqual(['one', 'ok', 'two']);
    const stolen = await ask({ text: 'let me in', session: first.session }, BOB);
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual({ error: { message: `No session "${first.session}".`, type: 'not_found', field: 'session' } });
    expect((await store.messages(first.session)).map((message) => message.content)).not.toContain('let me in');
  });

  it('streams server-sent events: the session, each piece, then the answer', async () => {
    chatModel = new FakeChatModel();
    const response = await ask({ text: 'stream it' }, ALICE, { accept: 'text/event-stream' });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map(([, event, data]) => [event, JSON.parse(data!)]);
    expect(events[0]![0]).toBe('session');
    expect(events.filter(([event]) => event === 'text').map(([, data]) => data.text).join('')).toBe('ok');
    expect(events.at(-1)).toEqual(['done', expect.objectContaining({ answer: 'ok', status: 'complete' })]);
  });

  it.each([
    ['no token', null, 'Missing bearer token'],
    ['a wrong token', `ast_${'x'.repeat(32)}`, 'not valid'],
    ['a malformed token', 'sk-something', 'not valid'],
    ['a revoked token', REVOKED, 'revoked'],
  ])('refuses %s with 401 and asks nothing', async (_name, token, message) => {
    const response = await ask({ text: 'hello' }, token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
    expect(chatModel.requests).toHaveLength(0);
  });

  it.each([
    ['not JSON', '{"text":', 400, undefined, 'The body is not JSON.'],
    ['no text', { session: 'abc' }, 400, 'text', 'text: is required.'],
    ['an empty text', { text: '' }, 400, 'text', 'text: is empty.'],
    ['an unknown field', { text: 'hi', colour: 'red' }, 400, undefined, 'Unknown field "colour".'],
    ['a bad session id', { text: 'hi', session: '../etc' }, 400, 'session', 'session: must be'],
    ['a hostile model name', { text: 'hi', model: 'gpt\u001b[31m' }, 400, 'model', 'model: is not a model name.'],
    ['a temperature out of range', { text: 'hi', temperature: 9 }, 400, 'temperature', 'temperature:'],
    ['text over the limit', { text: 'x'.repeat(10_001) }, 413, 'text', 'over the 10000-byte limit'],
    ['a body over the limit', JSON.stringify({ text: 'x'.repeat(100_000) }), 413, undefined, 'The body is over'],
  ])('refuses %s with a clear JSON error', async (_name, body, status, field, message) => {
    const response = await ask(body);
    expect(response.status).toBe(status);
    const error = ((await response.json()) as { error: { message: string; field?: string } }).error;
    expect(error.message).toContain(message);
    expect(error.field).toBe(field);
    expect(chatModel.requests).toHaveLength(0);
  });

  it('a model failure is a 502 and the question is kept', async () => {
    chatModel = new FakeChatModel({ pieces: ['half'], failure: new AssistantError('The model broke.') });
    await restartWith(chatModel);
    const response = await ask({ text: 'keep me' });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/The model broke\. The question was saved in session \w+\./);
    const sessions = await store.listSessions({ limit: 5 });
    expect((await store.messages(sessions[0]!.id)).map((message) => [message.role, message.status, message.content])).toEqual([['user', 'complete', 'keep me'], ['assistant', 'error', 'half']]);
  });

  it('a client that goes away mid-answer leaves what arrived stored as interrupted', async () => {
    chatModel = new FakeChatModel({ pieces: ['first words '], stall: true });
    await restartWith(chatModel);
    // A raw request, so that going away closes the connection at once (fetch would keep it alive).
    const request = httpRequest(`${base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}`, accept: 'text/event-stream' } });
    request.on('error', () => {});
    request.end(JSON.stringify({ text: 'long one' }));
    await chatModel.stalled;
    request.destroy();
    await waitUntil(async () => (await store.listSessions({ limit: 1 }))[0]?.messageCount === 2, 'the interrupted answer to be stored');
    const [session] = await store.listSessions({ limit: 1 });
    expect((await store.messages(session!.id)).map((message) => [message.role, message.status, message.content])).toEqual([['user', 'complete', 'long one'], ['assistant', 'interrupted', 'first words ']]);
  });
});

/** Serves the same store with another chat model (the app holds its model). */
async function restartWith(model: FakeChatModel): Promise<void> {
  await new Promise((resolve) => server.close(resolve));
  const cache = new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined });
  const app = createApp(
    { store, chatModel: model, cache, tokens: new Tokens(), usage: store, ready: async () => {}, log: (line) => logged.push(line) },
    TEST_SETTINGS,
  );
  server = await listenOnLoopback(app);
  base = baseOf(server);
}
