import { describe, expect, it } from 'vitest';
import { CallTrace, instrumentFetch, type RequestLog } from '../../src/observability/request-log.js';
import type { RequestRecord } from '../../src/store/store.js';

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
