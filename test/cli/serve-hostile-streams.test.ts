/**
 * `assistant serve` under clients that go away and upstreams that misbehave, over real HTTP
 * against a real serve process: a token's concurrency slots come back after aborted streams,
 * upstream failures and timeouts; an upstream that hangs is cut by TIMEOUT; garbage events
 * are an error, not a crash; the transport and CORS rules hold against spoofed headers.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { TempHome } from '../support/cli.js';
import { toneWav, type FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { createToken, serverSentEvents, startServe, type RunningServe } from '../support/serve-process.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const headersOf = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({ 'content-type': 'application/json', authorization: `Bearer ${token}`, ...extra });

async function stop(serve: RunningServe): Promise<void> {
  serve.child.kill('SIGTERM');
  expect((await serve.done).code).toBe(0);
}

describe('assistant serve with clients that go away and upstreams that misbehave', () => {
  it('gives back the concurrency slots of 10 streams the client aborted (ask and gateway), so the next request passes', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    for (let index = 0; index < 10; index++) {
      server.enqueue({ text: 'one two three four', stallAfterChunks: 1 });
      const chatBefore = server.chatRequests.length;
      const controller = new AbortController();
      const gateway = index % 2 === 1;
      const response = await fetch(`${serve.base}${gateway ? '/v1/chat/completions' : '/v1/ask'}`, {
        method: 'POST',
        headers: headersOf(token, { accept: 'text/event-stream' }),
        body: JSON.stringify(gateway ? { model: 'test-model', stream: true, messages: [{ role: 'user', content: `abort ${index}` }] } : { text: `abort ${index}` }),
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      // Go away once the upstream call is made and its first piece arrived.
      const reader = response.body!.getReader();
      await reader.read();
      await waitUntil(() => server.chatRequests.length > chatBefore, 'the upstream call');
      controller.abort();
      await reader.cancel().catch(() => {});
    }
    const after = await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ text: 'still served' }) });
    expect(after.status, await after.clone().text()).toBe(200);
    await stop(serve);
  });

  it('gives back the slots after upstream failures and timeouts', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home, { TIMEOUT: '0.3' });
    for (let index = 0; index < 5; index++) {
      server.enqueue({ hang: true });
      const hung = await fetch(`${serve.base}/v1/chat/completions`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: `hang ${index}` }] }) });
      expect(hung.status).toBe(504);
      server.enqueue({ status: 500, errorMessage: 'boom' });
      const failed = await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ text: `fail ${index}` }) });
      expect(failed.status).toBe(502);
    }
    const after = await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ text: 'still served' }) });
    expect(after.status).toBe(200);
    await stop(serve);
  });

  it('an upstream that stalls mid-stream is cut by TIMEOUT: the ask stream ends with an error event', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home, { TIMEOUT: '0.3' });
    server.enqueue({ text: 'one two three four', stallAfterChunks: 1 });
    const response = await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token, { accept: 'text/event-stream' }), body: JSON.stringify({ text: 'stall please' }) });
    const events = [];
    for await (const event of serverSentEvents(response.body!)) events.push(event.event);
    expect(events.at(-1)).toMatch(/error|done/);
    await stop(serve);
  });

  it('garbage events from upstream are an error event on /v1/ask, and the server keeps serving', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    server.enqueue({ malformed: true });
    const response = await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token, { accept: 'text/event-stream' }), body: JSON.stringify({ text: 'garbage please' }) });
    const events = [];
    for await (const event of serverSentEvents(response.body!)) events.push(event.event);
    expect(events.at(-1)).toBe('error');
    server.enqueue({ malformed: true });
    const whole = await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ text: 'garbage whole' }) });
    expect(whole.status).toBe(502);
    server.enqueue({ malformed: true });
    const gateway = await fetch(`${serve.base}/v1/chat/completions`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'garbage' }] }) });
    expect([200, 502]).toContain(gateway.status);
    await gateway.text();
    expect((await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ text: 'fine' }) })).status).toBe(200);
    await stop(serve);
  });

  it('in production, X-Forwarded-Proto is believed only from the trusted hop; CORS answers only configured origins', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home, { ENVIRONMENT: 'production', ASSISTANT_TRUSTED_PROXY_HOPS: '1', ASSISTANT_CORS_ORIGINS: 'https://app.example' });
    const status = async (forwarded: string | undefined): Promise<number> =>
      (await fetch(`${serve.base}/v1/sessions`, { headers: { authorization: `Bearer ${token}`, ...(forwarded === undefined ? {} : { 'x-forwarded-proto': forwarded }) } })).status;
    expect(await status(undefined)).toBe(403);
    expect(await status('http')).toBe(403);
    // The client wrote "https", the proxy appended what it saw: "http".
    expect(await status('https, http')).toBe(403);
    expect(await status('https,https')).toBe(200);
    expect(await status('HTTPS')).toBe(200);
    const preflight = async (origin: string): Promise<Response> =>
      fetch(`${serve.base}/v1/ask`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type', 'x-forwarded-proto': 'https' } });
    const allowed = await preflight('https://app.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const hsts = await fetch(`${serve.base}/v1/sessions`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-proto': 'https' } });
    expect(hsts.headers.get('strict-transport-security')).toContain('max-age=');
    await stop(serve);
  });

  it('without configured origins, a preflight gets no CORS headers', async () => {
    const serve = await startServe(home);
    const response = await fetch(`${serve.base}/v1/ask`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    await stop(serve);
  });
});

describe('assistant serve stopped twice', () => {
  it('a second SIGTERM while draining does not cut the stream in flight: it ends whole, stored, and serve exits 0 (it was killed by the signal)', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    server.enqueue({ text: 'one two three four five six', chunkDelayMs: 100 });
    const response = await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token, { accept: 'text/event-stream' }), body: JSON.stringify({ text: 'slowly' }) });
    const events = serverSentEvents(response.body!);
    expect((await events.next()).value?.event).toBe('session');
    serve.child.kill('SIGTERM');
    await waitUntil(() => serve.lines().some((line) => line.event === 'stopping'), 'serve to start stopping');
    serve.child.kill('SIGTERM');
    const seen: string[] = [];
    for await (const event of events) seen.push(event.event);
    expect(seen.at(-1)).toBe('done');
    const result = await serve.done;
    expect(result.code).toBe(0);
    expect(serve.lines().filter((line) => line.event !== undefined).map((line) => line.event)).toEqual(['listening', 'stopping', 'stopped']);
    expect((await home.messageRows()).map((row) => row.content)).toEqual(['slowly', 'one two three four five six']);
  });
});

describe('assistant serve stopped during an upload', () => {
  it('SIGTERM while an audio upload is still arriving lets it finish and be answered', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    server.transcriptions.push({ text: 'uploaded slowly' });
    const outgoing = request(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' } });
    const answered = new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      outgoing.once('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.once('end', () => resolve({ status: response.statusCode, body }));
      });
      outgoing.once('error', reject);
    });
    const wav = toneWav(300);
    outgoing.write(wav.subarray(0, 1000));
    // The token's first use is recorded once the headers are in: the upload has begun.
    await waitUntil(async () => typeof (JSON.parse((await home.run(['token', 'list', '--json'])).stdout) as Array<{ lastUsedAt: unknown }>)[0]!.lastUsedAt === 'string', 'the upload to begin');
    serve.child.kill('SIGTERM');
    await waitUntil(() => serve.lines().some((line) => line.event === 'stopping'), 'serve to start stopping');
    outgoing.end(wav.subarray(1000));
    const { status, body } = await answered;
    expect(status, body).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ transcript: 'uploaded slowly' });
    expect((await serve.done).code).toBe(0);
  });
});

describe('assistant serve with clients that go away at every stage', () => {
  it('gives back the slots of 10 uploads cut mid-body, of talk streams and speech streams cut mid-answer', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    const wav = toneWav(300);
    for (let index = 0; index < 5; index++) {
      for (const path of ['/v1/talk', '/v1/audio/transcriptions']) {
        const outgoing = request(`${serve.base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': path === '/v1/talk' ? 'audio/wav' : 'multipart/form-data; boundary=x', 'transfer-encoding': 'chunked' } });
        outgoing.on('error', () => {});
        const before = (JSON.parse((await home.run(['token', 'list', '--json'])).stdout) as Array<{ lastUsedAt: unknown }>)[0]!.lastUsedAt;
        outgoing.write(wav.subarray(0, 1000));
        if (before === null) await waitUntil(async () => (JSON.parse((await home.run(['token', 'list', '--json'])).stdout) as Array<{ lastUsedAt: unknown }>)[0]!.lastUsedAt !== null, 'the upload to begin');
        outgoing.destroy();
      }
    }
    for (let index = 0; index < 5; index++) {
      server.transcriptions.push({ text: 'talk then go' });
      server.enqueue({ text: 'First sentence here. Second one comes later.', stallAfterChunks: 3 });
      const chatBefore = server.chatRequests.length;
      const talk = await fetch(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav', accept: 'text/event-stream' }, body: wav });
      const reader = talk.body!.getReader();
      await reader.read();
      // Gone once the model is answering, so the stalled reply is used by this turn.
      await waitUntil(() => server.chatRequests.length > chatBefore, 'the model call');
      await reader.cancel();
      server.speechByInput.set('speak slowly please', { stallAfterBytes: 1000 });
      const speech = await fetch(`${serve.base}/v1/audio/speech`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ model: 'tts-1', input: 'speak slowly please', voice: 'alloy' }) });
      const speechReader = speech.body!.getReader();
      await speechReader.read();
      await speechReader.cancel();
    }
    server.transcriptions.push({ text: 'now answer me' });
    const after = await fetch(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav' }, body: wav });
    expect(after.status, await after.clone().text()).toBe(200);
    for (let index = 0; index < 5; index++) expect((await fetch(`${serve.base}/v1/ask`, { method: 'POST', headers: headersOf(token), body: JSON.stringify({ text: `after ${index}` }) })).status).toBe(200);
    await stop(serve);
  });

  it('a 429 for the per-minute limit says when to retry, within the minute', async () => {
    const serve = await startServe(home);
    const secret = `ast_${'limited'.padEnd(32, 'x')}`;
    const { hashTokenSecret } = await import('../../src/tokens/token-secret.js');
    await home.execute(`INSERT INTO tokens (id, name, hash, created_at, requests_per_minute) VALUES ('limited-id', 'limited', '${hashTokenSecret(secret)}', 0, 2)`);
    const statuses: Array<[number, string | null]> = [];
    for (let index = 0; index < 4; index++) {
      const response = await fetch(`${serve.base}/v1/sessions`, { headers: { authorization: `Bearer ${secret}` } });
      statuses.push([response.status, response.headers.get('retry-after')]);
    }
    const refused = statuses.filter(([status]) => status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const [, retryAfter] of refused) expect(Number(retryAfter)).toBeGreaterThanOrEqual(1), expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    await stop(serve);
  });

  it('unknown paths do not become new /metrics series', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home);
    for (const path of ['/nope-1', '/nope-2', '/v1/nope-3', '/v1/sessions/a/b/c']) await (await fetch(`${serve.base}${path}`)).text();
    const metrics = await (await fetch(`${serve.base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(metrics).not.toMatch(/nope|a\/b\/c/);
    await stop(serve);
  });
});

describe('assistant serve in production over plain HTTP', () => {
  it('refuses the web page and /metrics too, so neither a pasted token nor a scraper token goes out over plain HTTP (only /v1 was refused: the page loaded and sent the token, refused too late)', async () => {
    const token = await createToken(home, 'alice');
    const serve = await startServe(home, { ENVIRONMENT: 'production' });
    for (const path of ['/', '/metrics']) {
      const plain = await fetch(`${serve.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(plain.status, path).toBe(403);
      await plain.text();
      const secure = await fetch(`${serve.base}${path}`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-proto': 'https' } });
      expect(secure.status, path).toBe(200);
      expect(secure.headers.get('strict-transport-security')).toContain('max-age=');
      await secure.text();
    }
    // Platforms probe health from inside, over plain HTTP.
    expect((await fetch(`${serve.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${serve.base}/readyz`)).status).toBe(200);
    await stop(serve);
  });
});
