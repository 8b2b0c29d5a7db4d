/** The request log and `assistant stats` after real runs against the local server. */
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { PLANTED_KEY, TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

interface LogRow {
  endpoint: string;
  model: string;
  status?: number;
  errorClass?: string;
  attempt: number;
  cached: boolean;
  latencyMs?: number;
  firstByteMs?: number;
  firstTokenMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  requestId?: string;
  sessionId?: string;
  turnKey?: string;
}

async function logRows(): Promise<LogRow[]> {
  const result = await home.run(['log', '--json', '--limit', '100']);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as LogRow[]).reverse();
}

describe('the request log', () => {
  it('records every attempt with status, timing, tokens and request id, and cache hits, without content or keys', async () => {
    server.enqueue({ text: 'Fresh answer here.', delayMs: 30 });
    await home.run(['ask', '--session', 'logged', 'first question']);
    await home.run(['ask', '--cache', 'first question']); // not a hit: another session has other history? no: a new session, same messages
    server.enqueue({ status: 429, errorMessage: 'slow down', headers: { 'retry-after-ms': '10' } }, { text: 'After a retry.' });
    await home.run(['ask', '--no-cache', 'second question'], { env: { ASSISTANT_MAX_RETRIES: '2' } });

    const rows = await logRows();
    expect(rows.map((row) => [row.endpoint, row.status ?? null, row.errorClass ?? null, row.attempt, row.cached])).toEqual([
      ['chat', 200, null, 1, false],
      ['chat', null, null, 1, true],
      ['chat', 429, 'RateLimitError', 1, false],
      ['chat', 200, null, 2, false],
    ]);
    const [first, hit, , retried] = rows;
    expect(first).toMatchObject({ model: 'gpt-4o-mini', sessionId: 'logged', inputTokens: expect.any(Number), outputTokens: 3, requestId: 'req_test_1' });
    expect(first!.firstTokenMs).toBeGreaterThanOrEqual(30);
    expect(first!.latencyMs).toBeGreaterThanOrEqual(first!.firstTokenMs!);
    expect(first!.turnKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(hit).toMatchObject({ outputTokens: 3, latencyMs: 0 });
    expect(retried!.outputTokens).toBe(3);

    const everything = JSON.stringify(await home.rows('SELECT * FROM requests'));
    expect(everything).not.toContain(PLANTED_KEY);
    expect(everything).not.toContain('first question');
    expect(everything).not.toContain('Fresh answer');

    const errors = JSON.parse((await home.run(['log', '--errors', '--json'])).stdout);
    expect(errors.map((row: LogRow) => row.errorClass)).toEqual(['RateLimitError']);
    const table = await home.run(['log']);
    expect(table.stdout).toMatch(/^TIME\s+ENDPOINT\s+MODEL\s+STATUS\s+TRY\s+LATENCY\s+TOKENS\s+REQUEST ID\n/);
  });

  it('ties a turn to its requests and stores its CPU time and memory', async () => {
    await home.run(['talk', '--text', '--mute', '--session', 'typed'], { input: 'hello\n' });
    const [turn] = await home.rows<{ turn_key: string; cpu_ms: number; peak_rss_bytes: number }>('SELECT * FROM turns');
    expect(turn!.cpu_ms).toBeGreaterThan(0);
    expect(turn!.peak_rss_bytes).toBeGreaterThan(10_000_000);
    const rows = await logRows();
    expect(rows.map((row) => row.turnKey)).toEqual([turn!.turn_key]);
  });

  it('prunes rows older than the retention, and only those', async () => {
    await home.run(['ask', 'make the tables']);
    const old = Date.now() - 10 * 86_400_000;
    await home.execute(`INSERT INTO requests (at, endpoint, host, attempt, cached) VALUES (${old}, 'chat', 'old-host', 1, ${home.isPostgres ? 'false' : '0'})`);
    await home.execute(`INSERT INTO requests (at, endpoint, host, attempt, cached) VALUES (${Date.now() - 86_400_000}, 'chat', 'recent-host', 1, ${home.isPostgres ? 'false' : '0'})`);
    await home.run(['ask', 'again'], { env: { ASSISTANT_LOG_RETENTION_DAYS: '7' } });
    const hosts = (await home.rows<{ host: string }>('SELECT host FROM requests ORDER BY at')).map((row) => row.host);
    expect(hosts).not.toContain('old-host');
    expect(hosts).toContain('recent-host');
    expect(hosts.filter((host) => host.startsWith('127.0.0.1'))).toHaveLength(2);
  });
});

describe('assistant stats', () => {
  it('shows what the runs did, as text and as JSON', async () => {
    server.enqueue({ text: 'One.', delayMs: 20 }, { status: 500, errorMessage: 'down' });
    await home.run(['ask', 'a']);
    await home.run(['ask', '--cache', 'a']);
    await home.run(['ask', 'b']);
    await home.run(['talk', '--text', '--mute'], { input: 'c\n' });

    const json = JSON.parse((await home.run(['stats', '--json'])).stdout);
    expect(json.requests).toMatchObject({ total: 3, errors: 1, topErrors: [{ errorClass: 'InternalServerError', count: 1 }] });
    expect(json.latency.firstToken.count).toBe(2);
    expect(json.latency.firstToken.p50).toBeGreaterThanOrEqual(0);
    expect(json.cache.find((kind: { kind: string }) => kind.kind === 'chat')).toMatchObject({ hits: 1, misses: 3 });
    expect(json.models[0]).toMatchObject({ model: 'gpt-4o-mini', requests: 3 });
    expect(json.models[0].dollars).toBeGreaterThan(0);
    expect(json.turns.count).toBe(4);
    expect(json.database.rows).toMatchObject({ messages: 8, turns: 4 });
    expect(json.database.bytes).toBeGreaterThan(0);

    const text = await home.run(['stats', '--since', '24h']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Last 24h\n\nRequests 3, errors 1 \(33\.3%\)\n  top errors: InternalServerError 1\n/);
    expect(text.stdout).toMatch(/\nfirst token\s+\d+ ms\s+\d+ ms\s+\d+ ms\s+\d+ ms\s+2\n/);
    expect(text.stdout).toMatch(/\nchat\s+1\s+3\s+25%/);
    expect(text.stdout).toMatch(/\ngpt-4o-mini\s+3\s+/);
    expect(text.stdout).not.toMatch(/\u001b\[/);
    for (const line of text.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(120);

    expect((await home.run(['stats', '--since', 'soon'])).code).toBe(2);
    const none = JSON.parse((await home.run(['stats', '--json', '--model', 'nobody'])).stdout);
    expect(none.requests.total).toBe(0);
  });
});
