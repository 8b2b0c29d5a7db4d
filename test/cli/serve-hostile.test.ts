/**
 * `assistant serve` attacked as a hostile user and a careless operator would, over real HTTP
 * against a real serve process (SQLite, or PostgreSQL with ASSISTANT_TEST_POSTGRES_URL):
 * bearer headers of every odd shape, another token's sessions, search strings in the store's
 * query syntax, bodies with NUL and odd unicode, and the secrets kept out of every answer.
 */
import { request, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { PLANTED_KEY, type TempHome } from '../support/cli.js';
import { toneWav, type FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { createToken, startServe, type RunningServe } from '../support/serve-process.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const post = (serve: RunningServe, path: string, token: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${serve.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body });

const get = (serve: RunningServe, path: string, token: string): Promise<Response> => fetch(`${serve.base}${path}`, { headers: { authorization: `Bearer ${token}` } });

async function stop(serve: RunningServe): Promise<string> {
  serve.child.kill('SIGTERM');
  const result = await serve.done;
  expect(result.code).toBe(0);
  return result.stdout + result.stderr;
}

describe('assistant serve against a hostile client', () => {
  it('refuses bearer headers of every odd shape with a 401, and never echoes them', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    const statusWith = async (authorization: string | undefined, path = '/v1/sessions'): Promise<number> => {
      const response = await fetch(`${serve.base}${path}`, { headers: authorization === undefined ? {} : { authorization } });
      const text = await response.text();
      expect(text).not.toContain(token);
      return response.status;
    };
    expect(await statusWith(undefined)).toBe(401);
    expect(await statusWith('')).toBe(401);
    expect(await statusWith('Bearer')).toBe(401);
    expect(await statusWith(`Basic ${Buffer.from(`x:${token}`).toString('base64')}`)).toBe(401);
    expect(await statusWith(`Bearer ${token.toUpperCase()}`)).toBe(401);
    expect(await statusWith(`Bearer ${token.slice(0, -1)}`)).toBe(401);
    expect(await statusWith(`Bearer ${token} ${token}`)).toBe(401);
    expect(await statusWith(`Bearer ${token}x`)).toBe(401);
    expect(await statusWith(`Bearer ${'a'.repeat(8000)}`)).toBe(401);
    // The scheme is case-insensitive (RFC 9110); spaces around the token are framing, not part of it.
    expect(await statusWith(`bearer ${token}`)).toBe(200);
    expect(await statusWith(`Bearer   ${token}  `)).toBe(200);
    // A token in the query string is not a credential (it would land in proxies' logs).
    expect(await statusWith(undefined, `/v1/sessions?access_token=${token}`)).toBe(401);
    // /metrics is behind the token too.
    expect(await statusWith(undefined, '/metrics')).toBe(401);
    const output = await stop(serve);
    expect(output).not.toContain(token);
  });

  it("another token's session is 404 on every route, with none of its data", async () => {
    const alice = await createToken(home, 'alice');
    const mallory = await createToken(home, 'mallory');
    const serve = await startServe(home);
    const asked = (await (await post(serve, '/v1/ask', alice, JSON.stringify({ text: 'alice secret plans' }))).json()) as { session: string };
    const chatBefore = server.chatRequests.length;
    for (const response of [
      await get(serve, `/v1/sessions/${asked.session}`, mallory),
      await fetch(`${serve.base}/v1/sessions/${asked.session}`, { method: 'DELETE', headers: { authorization: `Bearer ${mallory}` } }),
      await post(serve, '/v1/ask', mallory, JSON.stringify({ text: 'continue', session: asked.session })),
      await fetch(`${serve.base}/v1/talk?session=${asked.session}`, { method: 'POST', headers: { authorization: `Bearer ${mallory}`, 'content-type': 'audio/wav' }, body: Buffer.from('RIFF....WAVEfmt ') }),
    ]) {
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('alice secret plans');
    }
    const listed = (await (await get(serve, '/v1/sessions', mallory)).json()) as { sessions: unknown[] };
    expect(listed.sessions).toEqual([]);
    const searched = (await (await get(serve, '/v1/sessions?search=secret', mallory)).json()) as { hits: unknown[] };
    expect(searched.hits).toEqual([]);
    expect(server.chatRequests.length).toBe(chatBefore);
    // Still there for its owner.
    expect((await get(serve, `/v1/sessions/${asked.session}`, alice)).status).toBe(200);
    await stop(serve);
  });

  it('search strings in FTS or tsquery syntax are a 200 with results or a clear 400, never a 500', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    expect((await post(serve, '/v1/ask', token, JSON.stringify({ text: 'the quick "brown" fox (jumps) over* NEAR the lazy dog' }))).status).toBe(200);
    const searches = ['"', '"brown', 'brown"', '(', ')', '(fox', 'fox)', '*', 'fox*', '*fox', 'NEAR', 'NEAR(fox dog)', 'fox NEAR dog', 'fox AND', 'OR', 'NOT fox', '-fox', 'fox -dog', '^fox', 'fox:*', 'col:fox', "'", "fox' OR '1'='1", '\\', '%', '_', '&', '|', '!', '<->', 'fox & dog', '{fox}', '[fox]', ':', ';', '--', '/* */', 'é', '🦊'];
    for (const search of searches) {
      const response = await get(serve, `/v1/sessions?search=${encodeURIComponent(search)}`, token);
      const body = await response.text();
      expect([200, 400], `search ${JSON.stringify(search)}: ${response.status} ${body}`).toContain(response.status);
    }
    // A lone surrogate's UTF-8 bytes, which no encoder makes.
    expect([200, 400]).toContain((await get(serve, '/v1/sessions?search=%ED%A0%80', token)).status);
    const found = (await (await get(serve, `/v1/sessions?search=${encodeURIComponent('"brown" (jumps)')}`, token)).json()) as { hits: unknown[] };
    expect(found.hits.length).toBeGreaterThan(0);
    await stop(serve);
  });

  it('text with escapes, markup and odd unicode is answered or refused with a 400, never a 500', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    for (const text of ['lone \ud800 surrogate', '<script>alert(1)</script>', '\u202eevil', 'line\r\nbreak', '\u001b[31mred']) {
      const response = await post(serve, '/v1/ask', token, JSON.stringify({ text }));
      const body = await response.text();
      expect([200, 400], `text ${JSON.stringify(text)}: ${response.status} ${body}`).toContain(response.status);
    }
    await stop(serve);
  });

  it('malformed bodies and model names are clear 4xx answers that never reach upstream', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    const cases: Array<[string, string, Record<string, string>, number]> = [
      ['/v1/ask', '{', {}, 400],
      ['/v1/ask', '', {}, 400],
      ['/v1/ask', 'null', {}, 400],
      ['/v1/ask', '[]', {}, 400],
      ['/v1/ask', '"text"', {}, 400],
      ['/v1/ask', JSON.stringify({ text: 'hi', model: 'a/../../etc\npasswd' }), {}, 400],
      ['/v1/ask', JSON.stringify({ text: 'hi', model: 'm'.repeat(500) }), {}, 400],
      ['/v1/ask', JSON.stringify({ text: 'hi', model: '../x' }), {}, 400],
      ['/v1/ask', JSON.stringify({ text: 'hi', session: '../../etc' }), {}, 400],
      ['/v1/ask', '{"text":"hi","__proto__":{"admin":true}}', {}, 400],
      ['/v1/ask', JSON.stringify({ text: 'hi', constructor: { prototype: { admin: true } } }), {}, 400],
      ['/v1/chat/completions', JSON.stringify({ model: 'x\r\nX-Injected: 1', messages: [{ role: 'user', content: 'hi' }] }), {}, 400],
      ['/v1/chat/completions', '{"model":', {}, 400],
      ['/v1/audio/speech', JSON.stringify({ model: 'tts', input: 'hi', voice: '../../x' }), {}, 400],
      ['/v1/audio/transcriptions', 'not a form', { 'content-type': 'multipart/form-data; boundary=x' }, 400],
      ['/v1/audio/transcriptions', '--x\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--x--\r\n', { 'content-type': 'multipart/form-data; boundary=x' }, 400],
      ['/v1/audio/transcriptions', '--x\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="../../evil.sh"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--x--\r\n', { 'content-type': 'multipart/form-data; boundary=x' }, 415],
      ['/v1/talk', '', { 'content-type': 'audio/wav' }, 400],
      ['/v1/talk', 'x', { 'content-type': 'text/html' }, 415],
      ['/v1/talk', '--x\r\nContent-Disposition: form-data; name="nofile"\r\n\r\nzzz\r\n--x--\r\n', { 'content-type': 'multipart/form-data; boundary=x' }, 400],
    ];
    for (const [path, body, headers, status] of cases) {
      const response = await post(serve, path, token, body, headers);
      expect(response.status, `${path} ${JSON.stringify(body).slice(0, 80)}: ${await response.clone().text()}`).toBe(status);
      expect(((await response.json()) as { error: { message: string } }).error.message).toEqual(expect.any(String));
    }
    expect(server.requests.length).toBe(0);
    await stop(serve);
  });

  it('a body just over the limit is a 413, with a length or chunked without one', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home, { ASSISTANT_MAX_INPUT: '1000' });
    const limit = 1000 * 2 + 64 * 1024;
    const body = JSON.stringify({ text: 'x'.repeat(limit) });
    expect((await post(serve, '/v1/ask', token, body)).status).toBe(413);
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const streamed = await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: chunked, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    // Just under the body limit, but over the question's: 413 naming the field.
    const justText = await post(serve, '/v1/ask', token, JSON.stringify({ text: 'x'.repeat(1001) }));
    expect(justText.status).toBe(413);
    expect(server.requests.length).toBe(0);
    await stop(serve);
  });
});

describe('assistant serve against a client without a token', () => {
  it('refuses a chunked upload with a 401 before reading its body (it was buffered whole, up to 25 MB, before the token was checked)', async () => {
    const serve = await startServe(home);
    for (const path of ['/v1/talk', '/v1/audio/transcriptions', '/v1/ask']) {
      const outgoing = request(`${serve.base}${path}`, { method: 'POST', headers: { 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' } });
      const answered = new Promise<IncomingMessage>((resolve, reject) => {
        outgoing.once('response', resolve);
        outgoing.once('error', reject);
      });
      // The body is never finished: the answer must come without it.
      outgoing.write(Buffer.alloc(64 * 1024));
      const response = await answered;
      expect(response.statusCode).toBe(401);
      response.resume();
      outgoing.destroy();
    }
    await stop(serve);
  });
});

describe('assistant serve with NUL characters', () => {
  it('refuses a NUL in text, system or search with a 400 naming the field (on PostgreSQL it was a 500: text columns cannot hold one)', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    const cases: Array<[Promise<Response>, string]> = [
      [post(serve, '/v1/ask', token, JSON.stringify({ text: 'nul \u0000 inside' })), 'text'],
      [post(serve, '/v1/ask', token, JSON.stringify({ text: 'hi', system: 'sys \u0000' })), 'system'],
      [get(serve, `/v1/sessions?search=${encodeURIComponent('fox\u0000dog')}`, token), 'search'],
    ];
    for (const [pending, field] of cases) {
      const response = await pending;
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { message: `${field}: contains a NUL character.`, type: 'invalid_request', field } });
    }
    expect(server.chatRequests).toEqual([]);
    expect(await home.messageRows()).toEqual([]);
    // The search within one session too.
    const asked = (await (await post(serve, '/v1/ask', token, JSON.stringify({ text: 'fox and dog' }))).json()) as { session: string };
    const within = await get(serve, `/v1/sessions/${asked.session}?search=${encodeURIComponent('fox\u0000dog')}`, token);
    expect(within.status).toBe(400);
    expect(await within.json()).toEqual({ error: { message: 'search: contains a NUL character.', type: 'invalid_request', field: 'search' } });
    await stop(serve);
  });
});

describe('assistant serve with a broken form', () => {
  it('answers a /v1/talk body that says multipart but is not with a 400 (it was a 500)', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    for (const body of ['garbage', '--x\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF', '']) {
      const response = await post(serve, '/v1/talk', token, body, { 'content-type': 'multipart/form-data; boundary=x' });
      expect(response.status, body).toBe(400);
      expect(await response.json()).toEqual({ error: { message: expect.stringContaining('multipart/form-data') as string, type: 'invalid_request', field: 'file' } });
    }
    expect(server.requests).toEqual([]);
    await stop(serve);
  });
});

describe("assistant serve and the server's key", () => {
  it("never passes the key on when an upstream error message quotes it (ask, ask streamed, talk, the gateway)", async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    const quoting = { status: 400, errorMessage: `Bad request for key ${PLANTED_KEY}` };
    const answers: string[] = [];
    server.enqueue(quoting);
    answers.push(await (await post(serve, '/v1/ask', token, JSON.stringify({ text: 'hi' }))).text());
    server.enqueue(quoting);
    answers.push(await (await post(serve, '/v1/ask', token, JSON.stringify({ text: 'hi' }), { accept: 'text/event-stream' })).text());
    server.transcriptions.push({ text: 'spoken words' });
    server.enqueue(quoting);
    answers.push(await (await fetch(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav' }, body: toneWav(300) })).text());
    server.transcriptions.push({ text: 'spoken words' });
    server.enqueue(quoting);
    answers.push(await (await fetch(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav', accept: 'text/event-stream' }, body: toneWav(300) })).text());
    server.enqueue(quoting);
    answers.push(await (await post(serve, '/v1/chat/completions', token, JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }] }))).text());
    expect(answers).toHaveLength(5);
    for (const answer of answers) {
      expect(answer).toContain('Bad request for key [redacted]');
      expect(answer).not.toContain(PLANTED_KEY);
    }
    for (const path of ['/metrics', '/v1/openapi.json', '/', '/v1/sessions']) expect(await (await get(serve, path, token)).text()).not.toContain(PLANTED_KEY);
    const output = await stop(serve);
    expect(output).not.toContain(PLANTED_KEY);
    expect(output).not.toContain(token);
    expect(JSON.stringify(await home.messageRows())).not.toContain(PLANTED_KEY);
  });
});

describe('assistant serve with deeply nested JSON', () => {
  it('refuses JSON nested too deep with a 400 on every JSON route (the gateway answered a 500: writing it on for upstream overflowed the stack)', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const bodies: Array<[string, string]> = [
      ['/v1/chat/completions', `{"model":"test-model","messages":[{"role":"user","content":"hi"}],"metadata":${deep}}`],
      ['/v1/chat/completions', `{"model":"test-model","messages":[{"role":"user","content":${deep}}]}`],
      ['/v1/audio/speech', `{"model":"tts-1","input":"hi","voice":"alloy","extra":${deep}}`],
      ['/v1/ask', `{"text":"hi","extra":${deep}}`],
    ];
    for (const [path, body] of bodies) {
      const response = await post(serve, path, token, body);
      expect(response.status, `${path}: ${await response.clone().text()}`).toBe(400);
      expect(((await response.json()) as { error: { type: string } }).error.type).toBe('invalid_request');
    }
    expect(server.requests).toEqual([]);
    await stop(serve);
  });
});

describe('assistant serve with audio that is not audio', () => {
  it('a transcription the upstream refuses or never answers is a 4xx/502 with its reason, streaming or not (it was a 500 "Internal error")', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home, { TIMEOUT: '0.5' });
    const talk = (accept: string, body: string | Buffer): Promise<Response> =>
      fetch(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav', accept }, body });
    for (const accept of ['application/json', 'text/event-stream', 'audio/wav']) {
      server.transcriptions.push({ status: 400, errorMessage: 'Invalid file format.' });
      const refused = await talk(accept, 'this is not audio at all');
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: { message: expect.stringContaining('Invalid file format.') as string, type: 'invalid_request', field: 'file' } });
    }
    server.transcriptions.push({ hang: true });
    const hung = await talk('application/json', toneWav(300));
    expect(hung.status).toBe(502);
    expect(((await hung.json()) as { error: { type: string } }).error.type).toBe('upstream');
    expect(server.chatRequests).toEqual([]);
    await stop(serve);
  });
});

describe('assistant serve with a long utterance', () => {
  it('answers Accept: audio/wav with a bounded X-Transcript header, marked cut, the whole transcript in the session (the header overflowed clients: fetch failed)', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    const words = 'wörd '.repeat(4000).trim();
    server.transcriptions.push({ text: words });
    const response = await fetch(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav', accept: 'audio/wav' }, body: toneWav(300) });
    expect(response.status).toBe(200);
    const header = response.headers.get('x-transcript')!;
    expect(header.length).toBeLessThanOrEqual(8192);
    expect(words.startsWith(decodeURIComponent(header))).toBe(true);
    expect(response.headers.get('x-transcript-truncated')).toBe('true');
    const session = (await (await get(serve, `/v1/sessions/${response.headers.get('x-session')!}`, token)).json()) as { messages: Array<{ content: string }> };
    expect(session.messages[0]!.content).toBe(words);
    // A lone surrogate from the transcription server's JSON cannot be percent-encoded as it is.
    server.transcriptions.push({ text: 'lone \ud800 half' });
    // Other audio: the same would be answered from the transcription cache.
    const lone = await fetch(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav', accept: 'audio/wav' }, body: toneWav(400) });
    expect(lone.status).toBe(200);
    expect(decodeURIComponent(lone.headers.get('x-transcript')!)).toBe('lone \ufffd half');
    await stop(serve);
  });
});
