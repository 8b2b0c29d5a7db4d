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

describe('numbers you can trust', () => {
  it('token counts a server gets wrong are not stored and cannot offset the daily token limit', async () => {
    server.enqueue({ text: 'Odd.', usage: { prompt_tokens: -1_000_000 } }, { text: 'Half.', usage: { prompt_tokens: 12.5 } }, { text: 'Huge.', usage: { completion_tokens: 5e12 } });
    for (const question of ['one', 'two', 'three']) expect((await home.run(['ask', question])).code).toBe(0);
    const messages = await home.messageRows();
    expect(messages.filter((row) => row.role === 'assistant').map((row) => [row.status, row.prompt_tokens, row.completion_tokens])).toEqual([
      ['complete', null, null],
      ['complete', null, null],
      ['complete', null, null],
    ]);
    const rows = await home.rows<{ input_tokens: number | null; output_tokens: number | null }>('SELECT input_tokens, output_tokens FROM requests ORDER BY id');
    expect(rows.map((row) => row.input_tokens)).toEqual([null, null, expect.any(Number)]);
    expect(rows.map((row) => row.output_tokens)).toEqual([1, 1, null]);

    // A sane answer: its tokens (more than 10) reach the limit; the negative count above must not hide them.
    await home.run(['ask', 'four']);
    const limited = await home.run(['ask', 'five'], { env: { ASSISTANT_MAX_TOKENS_PER_DAY: '10' } });
    expect(limited.code).toBe(3);
    expect(limited.stderr).toMatch(/tokens per day \(ASSISTANT_MAX_TOKENS_PER_DAY\) is reached/);
  });

  it('stats never prints NaN: an empty log, and rows with odd values', async () => {
    const empty = await home.run(['stats']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^Requests 0, errors 0 \(0\.0%\)$/m);
    expect(empty.stdout).not.toMatch(/NaN|Infinity/);

    const cached = home.isPostgres ? 'false' : '0';
    const now = Date.now();
    const odd = [
      `(${now}, 'chat', 'h', 'gpt-4o-mini', 200, NULL, 1, -40, -2000000, 30, NULL, ${cached})`,
      `(${now}, 'chat', 'h', NULL, 200, NULL, 1, 100, 10, 10, NULL, ${cached})`,
      `(${now}, 'transcription', 'h', 'gpt-4o-mini-transcribe', 200, NULL, 1, 0, NULL, NULL, -60, ${cached})`,
      `(${now}, 'chat', 'h', 'gpt-4o-mini', NULL, 'Aborted', 1, 5, NULL, NULL, NULL, ${cached})`,
      // SQLite keeps text in a number column as text.
      ...(home.isPostgres ? [] : [`(${now}, 'chat', 'h', 'gpt-4o-mini', 200, NULL, 1, 'slow', 'many', '7', 'x', 0)`]),
    ];
    await home.execute(
      `INSERT INTO requests (at, endpoint, host, model, status, error_class, attempt, latency_ms, input_tokens, output_tokens, audio_seconds, cached) VALUES ${odd.join(', ')}`,
    );
    const text = await home.run(['stats', '--since', 'all']);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/NaN|Infinity|\$-/);
    expect(text.stdout).toMatch(/^Requests \d+, errors 0 \(0\.0%\), aborted 1$/m);
    const json = JSON.parse((await home.run(['stats', '--json', '--since', 'all'])).stdout);
    const mini = json.models.find((model: { model: string }) => model.model === 'gpt-4o-mini');
    expect(mini.inputTokens).toBe(0);
    expect(mini.dollars).toBeGreaterThanOrEqual(0);
  });

  it('a stopped answer is "aborted", not an error, in both stats and log --errors; a timeout is an error in both', async () => {
    server.enqueue({ text: 'fine' }, { status: 500, errorMessage: 'down' }, { hang: true }, { text: 'one two three four', stallAfterChunks: 2 });
    await home.run(['ask', 'a']);
    await home.run(['ask', 'b']);
    await home.run(['ask', 'c'], { env: { TIMEOUT: '0.5' } });
    const { collect, waitForOutput } = await import('../support/cli.js');
    const child = home.start(['ask', 'd']);
    const done = collect(child);
    await waitForOutput(child, 'one two ');
    child.kill('SIGINT');
    expect((await done).code).toBe(130);

    const errors = JSON.parse((await home.run(['log', '--errors', '--json'])).stdout) as LogRow[];
    expect(errors.map((row) => row.errorClass).sort()).toEqual(['InternalServerError', 'Timeout']);
    const all = await logRows();
    expect(all.map((row) => [row.status ?? null, row.errorClass ?? null])).toEqual([
      [200, null],
      [500, 'InternalServerError'],
      [null, 'Timeout'],
      [200, 'Aborted'],
    ]);
    expect((await home.run(['log'])).stdout).toMatch(/\n.*chat\s+gpt-4o-mini\s+aborted\s+1\s/);

    const json = JSON.parse((await home.run(['stats', '--json'])).stdout);
    expect(json.requests).toMatchObject({ total: 4, errors: 2, aborted: 1, errorRate: 2 / 3 });
    expect(json.latency.wholeReply.count).toBe(1);
  });
});
