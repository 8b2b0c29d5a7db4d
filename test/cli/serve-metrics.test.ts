/**
 * GET /metrics of a running `assistant serve` (the real models' adapters, the local
 * OpenAI-compatible server upstream, SQLite or PostgreSQL): after an ask, the same ask from the
 * cache, an upstream 500 (through /v1/ask and through the gateway), a spoken turn, a session
 * read and requests refused by each per-token limit, the exposition shows each counter and
 * each stage's histogram with the right labels, and no label holds anything a client sent.
 */
import { describe, expect, it } from 'vitest';
import type { TempHome } from '../support/cli.js';
import { toneWav, type FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { createToken, startServe } from '../support/serve-process.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const newToken = (name: string, ...limits: string[]): Promise<string> => createToken(home, name, limits);

/** The exposition's samples as "name{labels}" -> value, and its text. */
async function scrape(base: string, token: string): Promise<{ samples: Map<string, number>; text: string }> {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  const text = await response.text();
  const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return { samples: new Map(samples.map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))])), text };
}

describe('assistant serve: GET /metrics', () => {
  it('counts requests, stages, cache lookups, upstream errors and refusals by limit, with labels from the code only', async () => {
    const alice = await newToken('alice');
    const bounded = await newToken('bob-per-minute', '--requests-per-minute', '2');
    const daily = await newToken('carol-per-day', '--tokens-per-day', '1');
    const serve = await startServe(home);
    const post = (path: string, token: string, body: unknown, signal?: AbortSignal): Promise<Response> =>
      fetch(`${serve.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
    try {
      // An answer, then the same deterministic question from the cache.
      const first = (await (await post('/v1/ask', alice, { text: 'same again', temperature: 0 })).json()) as { session: string; cached: boolean };
      expect(first.cached).toBe(false);
      expect(await (await post('/v1/ask', alice, { text: 'same again', temperature: 0 })).json()).toMatchObject({ cached: true });
      // An upstream 500, through the turn core and through the gateway.
      server.enqueue({ status: 500, errorMessage: 'boom' });
      expect((await post('/v1/ask', alice, { text: 'something new' })).status).toBe(502);
      server.enqueue({ status: 500, errorMessage: 'boom' });
      expect((await post('/v1/chat/completions', alice, { model: 'test-model', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(500);
      expect((await post('/v1/chat/completions', alice, { model: 'test-model', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
      // A spoken turn: transcription and speech.
      const talk = await fetch(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'audio/wav' }, body: toneWav(300) });
      expect(talk.status).toBe(200);
      // A session read: counted under the route's pattern, not its id.
      expect((await fetch(`${serve.base}/v1/sessions/${first.session}`, { headers: { authorization: `Bearer ${alice}` } })).status).toBe(200);

      // Per minute: two requests pass; more are refused (a minute that turns meanwhile lets two more in).
      const perMinute: number[] = [];
      while (perMinute.filter((status) => status === 429).length < 2) perMinute.push((await post('/v1/ask', bounded, { text: 'quick' })).status);
      // Per day: the first answer uses up the one token, the next ask is refused.
      expect((await post('/v1/ask', daily, { text: 'spend it' })).status).toBe(200);
      expect((await post('/v1/ask', daily, { text: 'and more' })).status).toBe(429);
      // Concurrency: four model calls in flight (upstream never answers), a fifth is refused; then the four go away.
      server.enqueue(...Array.from({ length: 4 }, () => ({ hang: true })));
      const leaving = new AbortController();
      const hanging = Array.from({ length: 4 }, () => post('/v1/ask', alice, { text: 'wait for it' }, leaving.signal).catch(() => undefined));
      await waitUntil(() => server.chatRequests.filter((request) => request.body?.messages?.at(-1)?.content === 'wait for it').length === 4, 'four calls upstream');
      expect((await post('/v1/ask', alice, { text: 'one too many' })).status).toBe(429);
      leaving.abort();
      await Promise.all(hanging);

      const { samples, text } = await scrape(serve.base, alice);
      expect(samples.get('assistant_http_requests_total{method="POST",route="/v1/ask",status="502"}')).toBe(1);
      expect(samples.get('assistant_http_requests_total{method="GET",route="/v1/sessions/:id",status="200"}')).toBe(1);
      expect(samples.get('assistant_http_request_duration_seconds_bucket{method="POST",route="/v1/talk",le="+Inf"}')).toBe(1);
      for (const stage of ['transcription', 'first_token', 'chat', 'speech', 'store_write']) {
        expect(samples.get(`assistant_stage_duration_seconds_count{stage="${stage}"}`), stage).toBeGreaterThan(0);
        expect(samples.has(`assistant_stage_duration_seconds_bucket{stage="${stage}",le="0.005"}`), stage).toBe(true);
      }
      // Chat answers: the ask, the gateway's, the talk turn's, the minute's and the day's.
      expect(samples.get('assistant_stage_duration_seconds_count{stage="chat"}')).toBe(2 + 1 + 1 + perMinute.filter((status) => status === 200).length);
      expect(samples.get('assistant_cache_hits_total{kind="chat"}')).toBe(1);
      expect(samples.get('assistant_cache_misses_total{kind="chat"}')).toBe(1);
      expect(samples.get('assistant_cache_misses_total{kind="transcription"}')).toBe(1);
      expect(samples.get('assistant_cache_misses_total{kind="speech"}')).toBeGreaterThan(0);
      expect(samples.get('assistant_upstream_errors_total{endpoint="chat",status="500",error="InternalServerError"}')).toBe(1);
      expect(samples.get('assistant_upstream_errors_total{endpoint="chat",status="500",error="HTTP500"}')).toBe(1);
      // The four calls whose clients went away are not upstream errors.
      expect([...samples.keys()].filter((name) => name.startsWith('assistant_upstream_errors_total'))).toHaveLength(2);
      expect(samples.get('assistant_rate_limited_total{limit="requests_per_minute"}')).toBe(perMinute.filter((status) => status === 429).length);
      expect(samples.get('assistant_rate_limited_total{limit="tokens_per_day"}')).toBe(1);
      expect(samples.get('assistant_rate_limited_total{limit="concurrency"}')).toBe(1);
      // Nothing a client chose: no token name, no session id, no question.
      for (const chosen of ['alice', 'bob-per-minute', 'carol', first.session, 'same again', alice]) expect(text).not.toContain(chosen);
    } finally {
      serve.child.kill('SIGTERM');
      expect((await serve.done).code).toBe(0);
    }
  });
});
