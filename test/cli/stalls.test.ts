/**
 * Servers that stall: after the headers TIMEOUT bounds every gap (keepalive comments do not
 * count); a retry-after over ASSISTANT_MAX_RETRY_WAIT fails at once; Ctrl-C ends any wait.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { collect, waitForOutput, type TempHome } from '../support/cli.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const env = { TIMEOUT: '0.5' };

async function statuses(): Promise<string[][]> {
  return (await home.messageRows()).map((row) => [row.role, row.content, row.status]);
}

describe('a server that stops sending after the headers', () => {
  it('streaming, nothing at all: fails after TIMEOUT, naming the host and the seconds', async () => {
    server.enqueue({ text: 'never sent', stallAfterChunks: 0 });
    const result = await home.run(['ask', 'hello?'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^Error: 127\.0\.0\.1:\d+ sent nothing for 0\.5 s in the middle of the answer \(TIMEOUT=0\.5\)\. .*Your question was saved in session \w+\.\n$/);
    expect(await statuses()).toEqual([['user', 'hello?', 'complete'], ['assistant', '', 'error']]);
    expect(await home.rows('SELECT key FROM cache')).toEqual([]);
    const [row] = JSON.parse((await home.run(['log', '--json'])).stdout) as Array<{ errorClass: string; status: number }>;
    expect(row).toMatchObject({ status: 200, errorClass: 'IdleTimeout' });
  });

  it('streaming, only keepalive comments after part of the answer: the partial answer is printed and kept', async () => {
    server.enqueue({ text: 'one two three four', stallAfterChunks: 2, keepAliveMs: 100 });
    const result = await home.run(['ask', 'count'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('one two \n');
    expect(result.stderr).toMatch(/^Error: 127\.0\.0\.1:\d+ sent nothing for 0\.5 s in the middle of the answer .*The partial answer was saved in session \w+\.\n$/);
    expect(await statuses()).toEqual([['user', 'count', 'complete'], ['assistant', 'one two ', 'error']]);
  });

  it('--no-stream, half a body: fails after TIMEOUT', async () => {
    server.enqueue({ text: 'never whole', stallAfterChunks: 0 });
    const result = await home.run(['ask', '--no-stream', 'hello?'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: 127\.0\.0\.1:\d+ sent nothing for 0\.5 s while sending its response \(TIMEOUT=0\.5\)/);
    expect(await statuses()).toEqual([['user', 'hello?', 'complete'], ['assistant', '', 'error']]);
  });

  it('a transcription server that stalls in its body: fails after TIMEOUT', async () => {
    const { encodeWav } = await import('../../src/audio/wav.js');
    const { speechLike, silence } = await import('../support/audio-fixtures.js');
    const memo = `${home.root}/memo.wav`;
    writeFileSync(memo, encodeWav(Buffer.concat([silence(300), speechLike(1200), silence(300)])));
    server.transcriptions.push({ text: 'hello there', stallInBody: true });
    const result = await home.run(['ask', '--audio', memo], { env });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^Error: 127\.0\.0\.1:\d+ sent nothing for 0\.5 s while sending its response \(TIMEOUT=0\.5\)/);
    expect(server.chatRequests).toHaveLength(0);
  });

  it('Ctrl-C during the idle wait stops at once: exit 130, the partial answer kept as interrupted', async () => {
    server.enqueue({ text: 'one two three four', stallAfterChunks: 2, keepAliveMs: 100 });
    const child = home.start(['ask', 'count'], { env: { TIMEOUT: '120' } });
    const done = collect(child);
    await waitForOutput(child, 'one two ');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(await statuses()).toEqual([['user', 'count', 'complete'], ['assistant', 'one two ', 'interrupted']]);
  });
});

describe('retry-after', () => {
  it('longer than ASSISTANT_MAX_RETRY_WAIT (default 60 s): fails at once, saying how long the server asked to wait', async () => {
    server.enqueue({ status: 429, errorMessage: 'slow down', headers: { 'retry-after': '3600' } });
    const result = await home.run(['ask', 'now?'], { env: { ASSISTANT_MAX_RETRIES: '2' } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^Error: 127\.0\.0\.1:\d+ answered 429 and asked to wait 3600 s before retrying \(more than ASSISTANT_MAX_RETRY_WAIT=60 s\): slow down\. Try again later, or raise ASSISTANT_MAX_RETRY_WAIT\./,
    );
    expect(server.chatRequests).toHaveLength(1);
    expect(await statuses()).toEqual([['user', 'now?', 'complete'], ['assistant', '', 'error']]);
  });

  it('the bound is a setting; retry-after-ms and 503 count too', async () => {
    server.enqueue({ status: 503, errorMessage: 'busy', headers: { 'retry-after-ms': '20000' } });
    const result = await home.run(['ask', 'now?'], { env: { ASSISTANT_MAX_RETRIES: '2', ASSISTANT_MAX_RETRY_WAIT: '5' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/answered 503 and asked to wait 20 s before retrying \(more than ASSISTANT_MAX_RETRY_WAIT=5 s\): busy/);
    expect(server.chatRequests).toHaveLength(1);
    const config = await home.run(['config'], { env: { ASSISTANT_MAX_RETRY_WAIT: '5' } });
    expect(config.stdout).toMatch(/maxRetryWaitSeconds\s+5\s+.*ASSISTANT_MAX_RETRY_WAIT/);
  });

  it('within the bound it is honoured, and Ctrl-C during the wait stops at once: exit 130, the question kept', async () => {
    server.enqueue({ status: 429, errorMessage: 'slow down', headers: { 'retry-after': '50' } });
    const child = home.start(['ask', 'patient question'], { env: { ASSISTANT_MAX_RETRIES: '2' } });
    const done = collect(child);
    await waitUntil(() => server.chatRequests.length >= 1, 'the chat request');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(server.chatRequests).toHaveLength(1);
    expect(await statuses()).toEqual([['user', 'patient question', 'complete'], ['assistant', '', 'interrupted']]);
  });
});
