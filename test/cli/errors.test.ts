import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { PLANTED_KEY, TempHome, collect, waitForOutput } from '../support/cli.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Error: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** The user's question is stored even when the answer failed. */
async function expectQuestionKept(question: string, answerStatus: string): Promise<void> {
  const rows = (await home.messageRows());
  expect(rows.map((row) => [row.role, row.status])).toEqual([
    ['user', 'complete'],
    ['assistant', answerStatus],
  ]);
  expect(rows[0]!.content).toBe(question);
}

async function cacheEntries(): Promise<number> {
  return (await home.rows<{ count: number }>('SELECT COUNT(*) AS count FROM cache'))[0]!.count;
}

describe('errors a person can act on', () => {
  it('names both variables when the API key is missing for the default server', async () => {
    const result = await home.run(['ask', 'hi'], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: OPENAI_API_KEY is not set. Set it, or point OPENAI_BASE_URL at an OpenAI-compatible server (e.g. Ollama: http://localhost:11434/v1).\n',
    );
    expect(existsSync(home.databasePath)).toBe(false);
  });

  it('needs no key for a custom server', async () => {
    const result = await home.run(['ask', 'hi'], { env: { OPENAI_API_KEY: undefined } });
    expect(result.code).toBe(0);
  });

  it('401: the key was rejected', async () => {
    server.enqueue({ status: 401, errorMessage: `Incorrect API key provided: ${PLANTED_KEY}`, errorCode: 'invalid_api_key' });
    const result = await home.run(['ask', 'hi']);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /rejected the API key \(401 Unauthorized\)\. Check OPENAI_API_KEY/);
    expect(result.stderr).not.toContain(PLANTED_KEY);
    expect(server.chatRequests).toHaveLength(1);
    await expectQuestionKept('hi', 'error');
    expect(await cacheEntries()).toBe(0);
  });

  it('429: retried by the SDK, then explained', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) server.enqueue({ status: 429, errorMessage: 'Rate limit reached', headers: { 'retry-after-ms': '10' } });
    const result = await home.run(['ask', 'hi'], { env: { ASSISTANT_MAX_RETRIES: '2' } });
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /rate limiting requests \(429\) after 2 retries: Rate limit reached\. Wait a moment/);
    expect(server.chatRequests).toHaveLength(3);
  });

  it('500 then success: one retry layer recovers', async () => {
    server.enqueue({ status: 500, errorMessage: 'boom', headers: { 'retry-after-ms': '10' } }, { text: 'Recovered.' });
    const result = await home.run(['ask', 'hi'], { env: { ASSISTANT_MAX_RETRIES: '2' } });
    expect(result).toMatchObject({ code: 0, stdout: 'Recovered.\n' });
    expect(server.chatRequests).toHaveLength(2);
  });

  it('404: the model does not exist', async () => {
    server.enqueue({ status: 404, errorMessage: 'The model `nope` does not exist', errorCode: 'model_not_found' });
    const result = await home.run(['ask', '--model', 'nope', 'hi']);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /The model "nope" was not found on 127\.0\.0\.1:\d+ \(404\)\. Pick another with --model/);
  });

  it('timeout: no answer within TIMEOUT seconds', async () => {
    server.enqueue({ hang: true });
    const result = await home.run(['ask', 'hi'], { env: { TIMEOUT: '0.5' } });
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /No answer from 127\.0\.0\.1:\d+ within 0\.5 s\. .*raise TIMEOUT/);
    await expectQuestionKept('hi', 'error');
  });

  it('connection refused: says which URL and what to check', async () => {
    const port = await freePort();
    const result = await home.run(['ask', 'hi'], { env: { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` } });
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, new RegExp(`Cannot connect to http://127\\.0\\.0\\.1:${port}/v1 \\(connection refused\\)\\. Is the server running\\? Check OPENAI_BASE_URL`));
    await expectQuestionKept('hi', 'error');
  });

  it('a port fetch refuses to use: says why, not just "failed"', async () => {
    const result = await home.run(['ask', 'hi'], { env: { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' } });
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /The connection to 127\.0\.0\.1:1 failed \(bad port\)\. Check the server and your network\./);
  });

  it('a connection dropped mid-answer keeps the partial answer, marked, and caches nothing', async () => {
    server.enqueue({ text: 'one two three four five six', dropAfterChunks: 3, chunkDelayMs: 5 });
    const result = await home.run(['ask', 'count']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('one two three \n');
    expectOneLineError(result.stderr, /lost mid-answer.*The partial answer was saved in session/);
    await expectQuestionKept('count', 'error');
    expect((await home.messageRows())[1]!.content).toBe('one two three ');
    expect(await cacheEntries()).toBe(0);
  });

  it('shows a stack trace only with DEBUG', async () => {
    server.enqueue({ status: 401 }, { status: 401 });
    const quiet = await home.run(['ask', 'hi']);
    const debug = await home.run(['ask', 'hi'], { env: { DEBUG: '1' } });
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    expect(debug.stderr).toMatch(/\n\s+at /);
    expect(debug.stderr).not.toContain(PLANTED_KEY);
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    const result = await home.run(['ask', '--bogus', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: unknown option '--bogus'/);
  });

  it.each([
    [['ask', '-t', '5', 'hi'], /^Error: --temperature must be a number from 0 to 2 \(got "5"\)\.$/],
    [['talk', '--text', '--silence', 'abc'], /^Error: --silence must be a whole number from 100 to 10000 \(got "abc"\)\.$/],
    [['ask', '--model', '', 'hi'], /^Error: --model must not be empty\.$/],
    [['talk', '--text', '--voice', ''], /^Error: --voice must not be empty\.$/],
  ])('a bad flag value is a usage error (exit 2), nothing sent: %j', async (args, message) => {
    const result = await home.run(args, { input: 'typed\n' });
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr, message);
    expect(server.requests).toHaveLength(0);
  });

  it.each([['db'], ['cache']])('a command group without a subcommand (%s) shows its help on stderr, exit 2', async (group) => {
    const result = await home.run([group]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^Usage: assistant ${group} \\[options\\] \\[command\\]`));
  });

  it('words that look like flags are sent as the question after --', async () => {
    const result = await home.run(['ask', '--', 'what', 'does', '-c', 'do']);
    expect(result.code).toBe(0);
    expect(JSON.stringify(server.chatRequests[0]!.body)).toContain('"content":"what does -c do"');
    const help = await home.run(['ask', '--help']);
    expect(help.stdout).toContain('assistant ask -- what does -c do');
  });

  it('a mistyped DATABASE_URL path is an error; no directory or empty history is made', async () => {
    const typo = join(home.root, 'dta', 'assistant.db');
    const result = await home.run(['ask', 'hi'], { env: { DATABASE_URL: typo } });
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /Cannot open the database .*dta\/assistant\.db: the directory .*dta does not exist\. Check the path \(DATABASE_URL\)/);
    expect(existsSync(join(home.root, 'dta'))).toBe(false);
    // The default data directory is still made on first use.
    expect((await home.run(['ask', 'hi'])).code).toBe(0);
  });

  it('DATABASE_URL=:memory: is refused, not turned into a file', async () => {
    const result = await home.run(['history'], { env: { DATABASE_URL: ':memory:' } });
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /DATABASE_URL names an in-memory database \(:memory:\)/);
    expect(existsSync(join(home.root, ':memory:'))).toBe(false);
  });

  it('a PostgreSQL server that is down: one line naming host and database, never the password', async () => {
    const result = await home.run(['history'], { env: { DATABASE_URL: 'postgres://me:hunter2@127.0.0.1:1/assistant' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error: Cannot connect to PostgreSQL at 127.0.0.1:1/assistant (connection refused). Is the server running? Check DATABASE_URL.\n');
  });
});

describe('Ctrl-C', () => {
  it('during an answer stops it, keeps the partial answer marked interrupted, exits 130', async () => {
    server.enqueue({ text: 'alpha beta gamma delta epsilon zeta eta theta iota kappa', chunkDelayMs: 150 });
    const child = home.start(['ask', 'greek letters']);
    const done = collect(child);
    await waitForOutput(child, 'beta');
    child.kill('SIGINT');
    const result = await done;

    expect(result.code).toBe(130);
    expect(result.stdout.startsWith('alpha beta')).toBe(true);
    expect(result.stdout).not.toContain('kappa');
    expect(result.stderr).toContain('Interrupted. The partial answer was saved');
    const rows = (await home.messageRows());
    expect(rows.map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'interrupted'],
    ]);
    expect(result.stdout).toContain(rows[1]!.content.trimEnd());
    expect(rows[1]!.content).toMatch(/^alpha beta/);
    expect(await cacheEntries()).toBe(0);
  });

  it('while waiting for the first token keeps the question and exits 130', async () => {
    server.enqueue({ hang: true });
    const child = home.start(['ask', 'anyone there?']);
    const done = collect(child);
    await waitUntil(() => server.chatRequests.length === 1, 'the chat request');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    await expectQuestionKept('anyone there?', 'interrupted');
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
