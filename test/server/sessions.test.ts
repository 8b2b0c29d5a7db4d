/**
 * The sessions routes over real HTTP (the app on a loopback port), on SQLite and PostgreSQL:
 * sessions made through POST /v1/ask by two tokens; each lists, reads, searches and deletes
 * only its own, and another token's session is a 404 like a missing one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { createApp } from '../../src/server/app.js';
import { SESSION_ID_PATTERN } from '../../src/session-id.js';
import type { TokenLookup } from '../../src/server/auth.js';
import { openStore, type StoreLocation } from '../../src/store/open-store.js';
import type { Store, TokenRecord } from '../../src/store/store.js';
import { hashTokenSecret } from '../../src/tokens/token-secret.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { POSTGRES_URL, createTestDatabase, dropTestDatabase, warnSkipped } from '../support/postgres.js';
import { TEST_SETTINGS, baseOf, listenOnLoopback } from '../support/app-server.js';

const ALICE = `ast_${'a'.repeat(32)}`;
const BOB = `ast_${'b'.repeat(32)}`;

const tokens: TokenLookup = {
  async tokenByHash(hash) {
    const named = (id: string, name: string): TokenRecord => ({
      id, name, createdAt: new Date(0), lastUsedAt: undefined, revokedAt: undefined, requestsPerMinute: undefined, tokensPerDay: undefined,
    });
    return { [hashTokenSecret(ALICE)]: named('alice-id', 'alice'), [hashTokenSecret(BOB)]: named('bob-id', 'bob') }[hash];
  },
};

warnSkipped('server sessions');
const databases: string[] = [];
afterAll(async () => {
  await Promise.all(databases.map(dropTestDatabase));
});

const stores: Array<[string, () => Promise<{ location: StoreLocation; cleanUp: () => void }>]> = [
  ['SQLite', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'assistant-sessions-'));
    return { location: { kind: 'sqlite', path: join(directory, 'store.db') }, cleanUp: () => rmSync(directory, { recursive: true, force: true }) };
  }],
  ...(POSTGRES_URL
    ? [['PostgreSQL', async () => {
        const url = await createTestDatabase();
        databases.push(url);
        return { location: { kind: 'postgres', url }, cleanUp: () => {} };
      }] as [string, () => Promise<{ location: StoreLocation; cleanUp: () => void }>]]
    : []),
];

describe.each(stores)('sessions routes on %s', (_name, location) => {
  let store: Store;
  let server: ServerType;
  let base: string;
  let cleanUp: () => void;

  beforeEach(async () => {
    const made = await location();
    cleanUp = made.cleanUp;
    // Every stored time a second after the one before: "newest first" without depending on the real clock.
    let clock = 1_700_000_000_000;
    store = await openStore(made.location, { now: () => (clock += 1000) });
    const cache = new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined });
    const app = createApp(
      { store, usage: store, chatModel: new FakeChatModel(), cache, tokens, ready: async () => {} },
      TEST_SETTINGS,
    );
    server = await listenOnLoopback(app);
    base = baseOf(server);
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    cleanUp();
  });

  const call = (path: string, token: string, method = 'GET'): Promise<Response> => fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const get = async <T>(path: string, token: string): Promise<T> => {
    const response = await call(path, token);
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };
  async function ask(text: string, token: string, extra: Record<string, unknown> = {}): Promise<string> {
    const response = await fetch(`${base}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ text, ...extra }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { session: string }).session;
  }
  type Listed = { sessions: Array<{ id: string; message_count: number; preview: string; created_at: string; updated_at: string }> };
  type Hits = { hits: Array<{ session: string; role: string; snippet: string }> };

  it("lists only this token's sessions, newest activity first, with counts and previews; ?limit bounds it", async () => {
    const first = await ask('alice asks about tea', ALICE);
    const bobs = await ask('bob asks about tea', BOB);
    const second = await ask('alice asks about coffee', ALICE);
    await ask('and more tea', ALICE, { session: first });

    const listed = await get<Listed>('/v1/sessions', ALICE);
    expect(listed.sessions.map((session) => [session.id, session.message_count, session.preview])).toEqual([
      [first, 4, 'alice asks about tea'],
      [second, 2, 'alice asks about coffee'],
    ]);
    expect(Date.parse(listed.sessions[0]!.updated_at)).toBeGreaterThan(Date.parse(listed.sessions[0]!.created_at));
    expect((await get<Listed>('/v1/sessions?limit=1', ALICE)).sessions.map((session) => session.id)).toEqual([first]);
    expect((await get<Listed>('/v1/sessions', BOB)).sessions.map((session) => session.id)).toEqual([bobs]);
  });

  it("searches only this token's sessions with ?search=", async () => {
    const alices = await ask('where is the zebra', ALICE);
    await ask('my zebra secret', BOB);
    const found = await get<Hits>('/v1/sessions?search=zebra', ALICE);
    expect(found.hits.map((hit) => [hit.session, hit.role])).toEqual([[alices, 'user']]);
    expect(found.hits[0]!.snippet).toContain('zebra');
    expect(found.hits[0]!.snippet).not.toMatch(/[\u0002\u0003]/);
    expect(JSON.stringify(found)).not.toContain('secret');
    expect((await get<Hits>('/v1/sessions?search=secret', ALICE)).hits).toEqual([]);
  });

  it("?search= on one session keeps only its messages with every word, and never looks in another session", async () => {
    const id = await ask('the zebra crossing', ALICE);
    await ask('what about lions', ALICE, { session: id });
    await ask('a zebra elsewhere', ALICE);
    type Transcript = { id: string; message_count: number; messages: Array<{ role: string; content: string }> };
    const found = await get<Transcript>(`/v1/sessions/${id}?search=zebra`, ALICE);
    expect(found).toMatchObject({ id, message_count: 4 });
    expect(found.messages.map(({ role, content }) => [role, content])).toEqual([['user', 'the zebra crossing']]);
    expect((await get<Transcript>(`/v1/sessions/${id}?search=zebra%20lions`, ALICE)).messages).toEqual([]);
    expect((await get<Transcript>(`/v1/sessions/${id}?search=lions`, ALICE)).messages.map(({ content }) => content)).toEqual(['what about lions']);
    expect((await call(`/v1/sessions/${id}?search=zebra`, BOB)).status).toBe(404);
  });

  it("reads one session's messages; another token's session is 404 like a missing one", async () => {
    const id = await ask('hello there', ALICE, { model: 'other-model' });
    const transcript = await get<{ id: string; message_count: number; messages: Array<Record<string, unknown>> }>(`/v1/sessions/${id}`, ALICE);
    expect(transcript).toMatchObject({ id, message_count: 2, preview: 'hello there' });
    expect(transcript.messages.map(({ role, content, status, model }) => ({ role, content, status, model }))).toEqual([
      { role: 'user', content: 'hello there', status: 'complete', model: null },
      { role: 'assistant', content: 'ok', status: 'complete', model: 'other-model' },
    ]);
    expect(transcript.messages[0]).toEqual({ id: expect.any(Number), role: 'user', content: 'hello there', status: 'complete', model: null, created_at: expect.any(String) });

    for (const [path, token] of [[`/v1/sessions/${id}`, BOB], ['/v1/sessions/no-such-session', ALICE]] as const) {
      const response = await call(path, token);
      expect(response.status).toBe(404);
      const missing = path.split('/').at(-1)!;
      expect(await response.json()).toEqual({ error: { message: `No session "${missing}".`, type: 'not_found', field: 'id' } });
    }
  });

  it('deletes a session with its messages, turns and cached answers (204); not for another token, and only once', async () => {
    const id = await ask('cache me', ALICE);
    const kept = await ask('keep me', ALICE);
    const cachedAnswers = async (): Promise<number> => (await store.cacheStats()).find((kind) => kind.kind === 'chat')?.entries ?? 0;
    expect((await store.turns(id)).length).toBe(1);
    expect(await cachedAnswers()).toBe(2);

    const stolen = await call(`/v1/sessions/${id}`, BOB, 'DELETE');
    expect(stolen.status).toBe(404);
    expect(await store.getSession(id)).toBeDefined();

    const deleted = await call(`/v1/sessions/${id}`, ALICE, 'DELETE');
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect(await store.getSession(id)).toBeUndefined();
    expect(await store.messages(id)).toEqual([]);
    expect(await store.turns(id)).toEqual([]);
    expect(await cachedAnswers()).toBe(1);
    expect((await get<Listed>('/v1/sessions', ALICE)).sessions.map((session) => session.id)).toEqual([kept]);
    expect((await call(`/v1/sessions/${id}`, ALICE, 'DELETE')).status).toBe(404);
  });

  it.each([
    ['a limit of 0', '/v1/sessions?limit=0', 'limit', 'limit: must be 1 to 200.'],
    ['a limit over 200', '/v1/sessions?limit=201', 'limit', 'limit: must be 1 to 200.'],
    ['a limit that is not a number', '/v1/sessions?limit=many', 'limit', 'limit:'],
    ['a fractional limit', '/v1/sessions?limit=1.5', 'limit', 'limit: is not a whole number.'],
    ['an empty search', '/v1/sessions?search=%20', 'search', 'search: is empty.'],
    ['an unknown parameter', '/v1/sessions?serach=tea', undefined, 'Unknown field "serach".'],
    ['an empty search on one session', '/v1/sessions/abc?search=', 'search', 'search: is empty.'],
    ['an unknown parameter on one session', '/v1/sessions/abc?q=tea', undefined, 'Unknown field "q".'],
    ['a bad session id', '/v1/sessions/..%2Fetc', 'id', 'id: must be'],
    ['a session id too long', `/v1/sessions/${'a'.repeat(65)}`, 'id', 'id: must be'],
  ])('refuses %s with 400 naming the field', async (_name, path, field, message) => {
    const response = await call(path, ALICE);
    expect(response.status).toBe(400);
    const error = ((await response.json()) as { error: { message: string; type: string; field?: string } }).error;
    expect(error.type).toBe('invalid_request');
    expect(error.message).toContain(message);
    expect(error.field).toBe(field);
  });

  it('the OpenAPI document describes the routes from the schemas that validate them', async () => {
    type Operation = { parameters: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>; responses: Record<string, unknown> };
    const { paths } = await get<{ paths: Record<string, Record<string, Operation>> }>('/v1/openapi.json', ALICE);
    const list = paths['/v1/sessions']!.get!;
    expect(list.parameters.map(({ name, in: place, required, schema }) => [name, place, required, schema.minimum, schema.maximum, schema.default])).toEqual([
      ['limit', 'query', false, 1, 200, 50],
      ['search', 'query', false, undefined, undefined, undefined],
    ]);
    for (const method of ['get', 'delete']) {
      const operation = paths['/v1/sessions/{id}']![method]!;
      expect(operation.parameters[0]).toEqual(expect.objectContaining({ name: 'id', in: 'path', required: true, schema: expect.objectContaining({ pattern: SESSION_ID_PATTERN.source }) }));
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '401', '404']));
    }
    expect(paths['/v1/sessions/{id}']!.get!.parameters.map(({ name, in: place, required }) => [name, place, required])).toEqual([['id', 'path', true], ['search', 'query', false]]);
    expect(paths['/v1/sessions/{id}']!.delete!.parameters.map(({ name }) => name)).toEqual(['id']);
    expect(Object.keys(paths['/v1/sessions/{id}']!.delete!.responses)).toContain('204');
  });

  it('a bad id or an unknown parameter is refused before anything is deleted, and without a token nothing is listed', async () => {
    const id = await ask('stay', ALICE);
    expect((await call(`/v1/sessions/${'x'.repeat(65)}`, ALICE, 'DELETE')).status).toBe(400);
    expect((await call(`/v1/sessions/${id}?force=yes`, ALICE, 'DELETE')).status).toBe(400);
    expect(await store.getSession(id)).toBeDefined();
    expect((await fetch(`${base}/v1/sessions`)).status).toBe(401);
  });
});
