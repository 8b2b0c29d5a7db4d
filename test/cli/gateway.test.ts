/**
 * The OpenAI-compatible gateway of a real `assistant serve` process, on SQLite and
 * PostgreSQL, with the local OpenAI-compatible server upstream: the real `openai` SDK and
 * `assistant ask` itself (typed, and with a recording to transcribe), each with a personal
 * token as its API key, get their answers through it, and upstream sees only the server's key.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { silence, speechLike } from '../support/audio-fixtures.js';
import { collect, PLANTED_KEY, type TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/** A personal token, as a person makes one. */
async function newToken(name: string): Promise<string> {
  const result = await home.run(['token', 'create', '--name', name]);
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

/** `assistant serve` on a free port, once it says it listens; its JSON lines as they come. */
async function startServe(): Promise<{ child: ChildProcess; base: string; lines: () => Array<Record<string, unknown>>; done: ReturnType<typeof collect> }> {
  const child = home.start(['serve', '--port', '0']);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = collect(child);
  const lines = (): Array<Record<string, unknown>> => stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  await waitUntil(() => lines().some((line) => line.event === 'listening'), 'serve to listen');
  return { child, base: `http://127.0.0.1:${String(lines().find((line) => line.event === 'listening')!.port)}`, lines, done };
}

describe('the gateway of assistant serve', () => {
  it("streams a chat completion to the real openai SDK holding a personal token; upstream sees the server's key", async () => {
    const token = await newToken('alice');
    const serve = await startServe();
    const client = new OpenAI({ baseURL: `${serve.base}/v1`, apiKey: token, maxRetries: 0 });

    expect((await client.models.list()).data.map((model) => model.id)).toContain('test-model');
    const stream = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'through the gateway' }], stream: true });
    let answer = '';
    for await (const chunk of stream) answer += chunk.choices[0]?.delta.content ?? '';
    expect(answer).toBe('You said: through the gateway');

    for (const request of server.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${PLANTED_KEY}`);
      expect(JSON.stringify(request.headers)).not.toContain(token);
    }
    serve.child.kill('SIGTERM');
    const result = await serve.done;
    expect(result.code).toBe(0);
    expect(serve.lines().filter((line) => line.path !== undefined).map((line) => [line.method, line.path, line.status, line.token])).toEqual([
      ['GET', '/v1/models', 200, 'alice'],
      ['POST', '/v1/chat/completions', 200, 'alice'],
    ]);
    expect(result.stdout + result.stderr).not.toContain(token);
    // The audit trail: each forwarded call under the token's name.
    expect(await home.rows('SELECT endpoint, status, token_name FROM requests ORDER BY id')).toEqual([
      { endpoint: 'models', status: 200, token_name: 'alice' },
      { endpoint: 'chat', status: 200, token_name: 'alice' },
    ]);
  });

  it('`assistant ask` with OPENAI_BASE_URL at the server and a personal token as its key gets its answer through the gateway', async () => {
    const token = await newToken('bob');
    const serve = await startServe();
    const asked = await home.run(['ask', 'hello via the gateway'], { env: { OPENAI_BASE_URL: `${serve.base}/v1`, OPENAI_API_KEY: token } });
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    expect(asked.stdout.trim()).toBe('You said: hello via the gateway');
    expect(server.chatRequests).toHaveLength(1);
    expect(server.chatRequests[0]!.headers.authorization).toBe(`Bearer ${PLANTED_KEY}`);
    expect(server.chatRequests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'hello via the gateway' });

    // A wrong key is refused by the gateway, with its message shown by ask, and nothing goes upstream.
    const refused = await home.run(['ask', 'let me in'], { env: { OPENAI_BASE_URL: `${serve.base}/v1`, OPENAI_API_KEY: 'sk-not-a-token' } });
    expect(refused.code).not.toBe(0);
    expect(server.chatRequests).toHaveLength(1);
    serve.child.kill('SIGTERM');
    expect((await serve.done).code).toBe(0);
  });

  it('`assistant ask --audio` through the gateway: the recording is transcribed and answered upstream with the server\'s key', async () => {
    const token = await newToken('carol');
    const serve = await startServe();
    const memo = join(home.root, 'memo.wav');
    writeFileSync(memo, encodeWav(Buffer.concat([silence(300), speechLike(1200), silence(300)])));
    const asked = await home.run(['ask', '--audio', memo], { env: { OPENAI_BASE_URL: `${serve.base}/v1`, OPENAI_API_KEY: token } });
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    expect(asked.stdout.trim()).toBe('You said: hello from the microphone');
    expect(server.transcriptionRequests).toHaveLength(1);
    expect(server.requests.map((request) => [request.path, request.headers.authorization])).toEqual([
      ['/v1/audio/transcriptions', `Bearer ${PLANTED_KEY}`],
      ['/v1/chat/completions', `Bearer ${PLANTED_KEY}`],
    ]);
    serve.child.kill('SIGTERM');
    expect((await serve.done).code).toBe(0);
  });
});
