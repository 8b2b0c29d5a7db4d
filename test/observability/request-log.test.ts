import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { CallTrace, errorClassOf, instrumentFetch, StoreRequestLog, tokenCount, type RequestLog } from '../../src/observability/request-log.js';
import type { RequestRecord, RequestStore } from '../../src/store/store.js';

class MemoryLog implements RequestLog {
  readonly rows: RequestRecord[] = [];
  record(records: RequestRecord[]): void {
    this.rows.push(...records);
  }
  async flush(): Promise<void> {}
}

describe('instrumentFetch and CallTrace', () => {
  it('notes each HTTP attempt of a traced call (not data: URLs), with retry number, status and request id', async () => {
    const responses = [new Response('{}', { status: 429 }), new Response('{}', { status: 200, headers: { 'x-request-id': 'req_2' } })];
    const fetch = instrumentFetch(async (input) => (String(input).startsWith('data:') ? new Response('') : responses.shift()!));
    const log = new MemoryLog();
    const call = new CallTrace(log, { endpoint: 'chat', host: 'h', model: 'm', sessionId: 's', turnKey: 'k' });
    await call.run(async () => {
      await fetch('data:,');
      await fetch('http://h/v1/chat/completions', { headers: { 'x-stainless-retry-count': '0' } });
      await fetch('http://h/v1/chat/completions', { headers: { 'x-stainless-retry-count': '1' } });
    });
    call.finish({ inputTokens: 3, outputTokens: 4, firstTokenAt: performance.now() });
    call.finish(); // once only
    expect(log.rows.map((row) => [row.attempt, row.status, row.errorClass, row.requestId, row.outputTokens])).toEqual([
      [1, 429, 'RateLimitError', undefined, undefined],
      [2, 200, undefined, 'req_2', 4],
    ]);
    expect(log.rows.every((row) => row.sessionId === 's' && row.turnKey === 'k' && row.host === 'h')).toBe(true);
    expect(log.rows[1]!.firstTokenMs).toBeGreaterThanOrEqual(0);
  });

  it('names a network failure by its code, and logs a call with no response at all', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const fetch = instrumentFetch(async () => {
      throw refused;
    });
    const log = new MemoryLog();
    const call = new CallTrace(log, { endpoint: 'speech', host: 'h', model: 'tts' });
    await call.run(() => fetch('http://h/v1/audio/speech')).catch(() => {});
    call.finish({ errorClass: 'APIConnectionError' });
    expect(log.rows.map((row) => row.errorClass)).toEqual(['ECONNREFUSED']);

    const silent = new CallTrace(log, { endpoint: 'chat', host: 'h', model: 'm' });
    silent.finish({ errorClass: 'Aborted' });
    expect(log.rows.at(-1)).toMatchObject({ errorClass: 'Aborted', attempt: 1 });
  });

  it('names why a call failed: the network code behind fetch\'s TypeError, timeouts, statuses, never "TypeError"', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    const bothFamilies = Object.assign(new TypeError('fetch failed'), { cause: new AggregateError([Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })]) });
    const badPort = Object.assign(new TypeError('fetch failed'), { cause: new Error('bad port') });
    expect(errorClassOf(new OpenAI.APIConnectionError({ cause: refused }))).toBe('ECONNREFUSED');
    expect(errorClassOf(refused)).toBe('ECONNREFUSED');
    expect(errorClassOf(bothFamilies)).toBe('ECONNREFUSED');
    expect(errorClassOf(new OpenAI.APIConnectionError({ cause: badPort }))).toBe('ConnectionError');
    expect(errorClassOf(new OpenAI.APIConnectionTimeoutError())).toBe('Timeout');
    expect(errorClassOf(new OpenAI.APIUserAbortError())).toBe('Aborted');
    expect(errorClassOf(OpenAI.APIError.generate(429, { error: { message: 'slow', code: 'rate_limit_exceeded' } }, 'slow', new Headers()))).toBe('RateLimitError');
    expect(errorClassOf(Object.assign(new Error('empty'), { errorClass: 'EmptyAnswer' }))).toBe('EmptyAnswer');
  });

  it('tells the SDK\'s timeout (an abort the caller did not ask for) from the user\'s stop', async () => {
    const aborted = (): Promise<Response> => Promise.reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    const log = new MemoryLog();
    const timedOut = new CallTrace(log, { endpoint: 'chat', host: 'h', model: 'm' }, new AbortController().signal);
    await timedOut.run(() => instrumentFetch(aborted)('http://h/v1/chat/completions')).catch(() => {});
    timedOut.finish({ errorClass: 'Timeout' });
    const user = new AbortController();
    user.abort();
    const stopped = new CallTrace(log, { endpoint: 'chat', host: 'h', model: 'm' }, user.signal);
    await stopped.run(() => instrumentFetch(aborted)('http://h/v1/chat/completions')).catch(() => {});
    stopped.finish({ errorClass: 'Aborted' });
    expect(log.rows.map((row) => row.errorClass)).toEqual(['Timeout', 'Aborted']);
  });

  it('files a failure after a 200 (a stall, a stop, an empty answer) on that attempt, and drops implausible counts', async () => {
    const log = new MemoryLog();
    const call = new CallTrace(log, { endpoint: 'chat', host: 'h', model: 'm' });
    await call.run(() => instrumentFetch(async () => new Response('{}'))('http://h/v1/chat/completions'));
    call.finish({ errorClass: 'IdleTimeout', inputTokens: -5, outputTokens: 2.5, characters: 5e12 });
    expect(log.rows).toHaveLength(1);
    expect(log.rows[0]).toMatchObject({ status: 200, errorClass: 'IdleTimeout', inputTokens: undefined, outputTokens: undefined, characters: undefined });
    expect([tokenCount(0), tokenCount(1e9), tokenCount(1e9 + 1), tokenCount(Number.NaN), tokenCount('5')]).toEqual([0, 1e9, undefined, undefined, undefined]);
  });

  it('leaves untraced fetches alone', async () => {
    let calls = 0;
    const fetch = instrumentFetch(async () => {
      calls += 1;
      return new Response('');
    });
    await fetch('http://elsewhere/');
    expect(calls).toBe(1);
  });
});

describe('StoreRequestLog', () => {
  it('writes the rows recorded while a write is in flight together, in one INSERT, and flush waits for all of them', async () => {
    const writes: number[][] = [];
    const store: Pick<RequestStore, 'recordRequests' | 'pruneRequests'> = {
      recordRequests: async (records) => void writes.push(records.map((record) => record.attempt)),
      pruneRequests: async () => 0,
    };
    const log = new StoreRequestLog(async () => store as RequestStore, 30);
    const row = (attempt: number): RequestRecord => ({ at: 0, endpoint: 'chat', host: 'h', model: 'm', attempt, cached: false });
    log.record([row(1)]);
    log.record([row(2)]);
    log.record([row(3), row(4)]);
    await log.flush();
    expect(writes).toEqual([[1, 2, 3, 4]]);
    log.record([row(5)]);
    await log.flush();
    expect(writes).toEqual([[1, 2, 3, 4], [5]]);
  });
});
