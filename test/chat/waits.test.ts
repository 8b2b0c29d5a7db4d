/** The adapters' bounds on waiting: retry waits (with an injected sleep) and a speech stream that stalls. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedWaitMilliseconds, waitForRetriesHere } from '../../src/chat/retry-wait.js';
import { OpenAISynthesizer } from '../../src/speech/openai-speech.js';
import type { RequestLog } from '../../src/observability/request-log.js';
import type { RequestRecord } from '../../src/store/store.js';
import { FakeOpenAIServer } from '../support/openai-server.js';

function retryingFetch(responses: Response[], options: { maxRetries?: number; maxRetryWaitSeconds?: number } = {}) {
  const sleeps: Array<{ milliseconds: number; signal: AbortSignal | undefined }> = [];
  const signal = new AbortController().signal;
  const fetch = waitForRetriesHere(async () => responses.shift()!, {
    maxRetries: options.maxRetries ?? 2,
    maxRetryWaitSeconds: options.maxRetryWaitSeconds ?? 60,
    signal: () => signal,
    sleep: async (milliseconds, given) => void sleeps.push({ milliseconds, signal: given }),
    now: () => Date.UTC(2026, 0, 1),
    random: () => 0,
  });
  return { fetch, sleeps, signal };
}

const attempt = (retryCount: number): RequestInit => ({ headers: { 'x-stainless-retry-count': String(retryCount) } });

describe('waitForRetriesHere', () => {
  it('waits what the server asked, on the caller\'s signal, then lets the SDK retry at once', async () => {
    const { fetch, sleeps, signal } = retryingFetch([new Response('{}', { status: 429, headers: { 'retry-after': '30' } })]);
    const response = await fetch('http://h/v1/chat/completions', attempt(0));
    expect(sleeps).toEqual([{ milliseconds: 30_000, signal }]);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after-ms')).toBe('0');
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('uses the SDK\'s backoff when the server names no wait', async () => {
    const { fetch, sleeps } = retryingFetch([new Response('', { status: 500 }), new Response('', { status: 502 })]);
    await fetch('http://h/', attempt(0));
    await fetch('http://h/', attempt(1));
    expect(sleeps.map((sleep) => sleep.milliseconds)).toEqual([500, 1000]);
  });

  it('does not wait after the last attempt, for what the SDK does not retry, or for success', async () => {
    const { fetch, sleeps } = retryingFetch([
      new Response('', { status: 429, headers: { 'retry-after': '5' } }),
      new Response('', { status: 400 }),
      new Response('', { status: 503, headers: { 'x-should-retry': 'false' } }),
      new Response('{}', { status: 200 }),
    ]);
    expect((await fetch('http://h/', attempt(2))).headers.get('retry-after')).toBe('5');
    await fetch('http://h/', attempt(0));
    await fetch('http://h/', attempt(0));
    await fetch('http://h/', attempt(0));
    expect(sleeps).toEqual([]);
  });

  it('marks a wait over the bound as not to be retried, without waiting', async () => {
    const { fetch, sleeps } = retryingFetch([new Response('{"error":{}}', { status: 429, headers: { 'retry-after': 'Thu, 01 Jan 2026 01:00:00 GMT' } })], { maxRetryWaitSeconds: 60 });
    const response = await fetch('http://h/', attempt(0));
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(await response.text()).toBe('{"error":{}}');
    expect(sleeps).toEqual([]);
  });

  it('reads the wait as the SDK does', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(requestedWaitMilliseconds(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(requestedWaitMilliseconds(new Headers({ 'retry-after': '1.5' }), now)).toBe(1500);
    expect(requestedWaitMilliseconds(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:01:00 GMT' }), now)).toBe(60_000);
    expect(requestedWaitMilliseconds(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(requestedWaitMilliseconds(new Headers(), now)).toBeUndefined();
  });
});

describe('a speech stream that stalls', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await new FakeOpenAIServer().start();
  });
  afterAll(() => server.close());

  it('fails after TIMEOUT without a byte, and the request log says IdleTimeout', async () => {
    const rows: RequestRecord[] = [];
    const requestLog: RequestLog = { record: (records) => void rows.push(...records), flush: async () => {} };
    const synthesizer = new OpenAISynthesizer({ baseURL: server.url, apiKey: 'k', timeoutSeconds: 0.3, maxRetries: 0, requestLog });
    server.speechReplies.push({ stallAfterBytes: 4800 });
    const text = 'A sentence long enough to need several pieces of audio.';
    const audio = await synthesizer.synthesize({ text, model: 'tts', voice: 'alloy', speed: 1, format: 'wav' }, {});
    let received = 0;
    const reading = (async () => {
      for await (const chunk of audio) received += chunk.byteLength;
    })();
    await expect(reading).rejects.toThrow(/^127\.0\.0\.1:\d+ sent nothing for 0\.3 s while sending its response \(TIMEOUT=0\.3\)/);
    expect(received).toBeGreaterThan(0);
    expect(rows.map((row) => [row.status, row.errorClass, row.characters])).toEqual([[200, 'IdleTimeout', text.length]]);
  });
});
