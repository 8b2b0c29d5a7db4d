/**
 * `assistant serve` as a process, on SQLite and PostgreSQL, with the local OpenAI-compatible
 * server upstream: tokens made by `assistant token`, health, an answer over HTTP, revocation
 * on the next request, PORT as platforms set it, and a graceful stop with a stream in flight.
 */
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { createToken, startServe as startServeProcess, type RunningServe } from '../support/serve-process.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/** Starts `assistant serve` with these arguments and waits for its "listening" line. */
const startServe = (args: string[] = ['--port', '0'], env: Record<string, string> = {}): Promise<RunningServe> => startServeProcess(home, env, args);

const newToken = (name: string): Promise<string> => createToken(home, name);

const ask = (base: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body) });

describe('assistant serve', () => {
  it('answers with a token, logs one JSON line per request without the token, and stops cleanly on SIGTERM', async () => {
    const token = await newToken('alice');
    const serve = await startServe();
    expect(serve.host).toBe('127.0.0.1');
    expect(await (await fetch(`${serve.base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${serve.base}/readyz`)).json()).toEqual({ status: 'ready' });

    const response = await ask(serve.base, token, { text: 'hello over http' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { session: string; answer: string };
    expect(body.answer).toBe('You said: hello over http');
    expect(server.chatRequests.at(-1)!.body.messages.at(-1)).toEqual({ role: 'user', content: 'hello over http' });
    expect((await home.messageRows()).map((row) => [row.session_id, row.role, row.content])).toEqual([
      [body.session, 'user', 'hello over http'],
      [body.session, 'assistant', 'You said: hello over http'],
    ]);

    serve.child.kill('SIGTERM');
    const result = await serve.done;
    expect(result.code).toBe(0);
    expect(serve.lines().map((line) => line.event ?? `${String(line.method)} ${String(line.path)} ${String(line.status)}`)).toEqual([
      'listening',
      'GET /healthz 200',
      'GET /readyz 200',
      'POST /v1/ask 200',
      'stopping',
      'stopped',
    ]);
    expect(serve.lines().find((line) => line.path === '/v1/ask')).toMatchObject({ token: 'alice' });
    // The audit trail: the upstream call is in the request log under the token's name.
    const calls = JSON.parse((await home.run(['log', '--token', 'alice', '--json'])).stdout) as Array<{ endpoint: string; token: string }>;
    expect(calls.map((call) => [call.endpoint, call.token])).toEqual([['chat', 'alice']]);
    expect(JSON.parse((await home.run(['log', '--token', 'somebody', '--json'])).stdout)).toEqual([]);
    expect((await home.run(['stats', '--token', 'alice', '--json'])).code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  it('a revoked token is refused on its next request, while serve keeps running', async () => {
    const token = await newToken('bob');
    const serve = await startServe();
    expect((await ask(serve.base, token, { text: 'first' })).status).toBe(200);
    expect((await home.run(['token', 'revoke', 'bob'])).code).toBe(0);
    const used = JSON.parse((await home.run(['token', 'list', '--json'])).stdout) as Array<{ name: string; lastUsedAt: string | null }>;
    expect(used.find((entry) => entry.name === 'bob')?.lastUsedAt).toEqual(expect.any(String));
    const refused = await ask(serve.base, token, { text: 'second' });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { message: 'The bearer token was revoked.', type: 'authentication' } });
    serve.child.kill('SIGTERM');
    expect((await serve.done).code).toBe(0);
  });

  it('PORT, as platforms set it, listens on every interface', async () => {
    const port = await freePort();
    const serve = await startServe([], { PORT: String(port) });
    expect(serve.host).toBe('0.0.0.0');
    expect(serve.base).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(`${serve.base}/healthz`)).status).toBe(200);
    serve.child.kill('SIGTERM');
    expect((await serve.done).code).toBe(0);
  });

  it('SIGTERM with a stream in flight lets the answer finish, stored whole, then exits 0', async () => {
    const token = await newToken('carol');
    server.enqueue({ text: 'one two three four five six', chunkDelayMs: 120 });
    const serve = await startServe();
    // A client that keeps its connection open as long as the server allows (as a balancer
    // does): once the answer ends, the idle connection must not hold the exit back.
    const agent = new Agent({ keepAlive: true });
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const outgoing = request(`${serve.base}/v1/ask`, { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` } }, resolve);
      outgoing.once('error', reject);
      outgoing.end(JSON.stringify({ text: 'slowly please' }));
    });
    let events = '';
    const ended = new Promise<void>((resolve) => response.once('end', resolve));
    response.on('data', (chunk: Buffer) => (events += chunk.toString()));
    await waitUntil(() => events.includes('event: text'), 'the first text event');
    serve.child.kill('SIGTERM');
    await ended;
    expect(events).toContain('event: done');
    expect((await serve.done).code).toBe(0);
    agent.destroy();
    // The stream's keep-alive connection, idle once the answer ended, did not hold the exit
    // until the drain bound cut it (keep-alive lasts 65 s, past any balancer's idle timeout).
    expect(serve.lines().find((line) => line.event === 'stopped')).toMatchObject({ drained: true });
    expect((await home.messageRows()).map((row) => [row.role, row.status, row.content])).toEqual([
      ['user', 'complete', 'slowly please'],
      ['assistant', 'complete', 'one two three four five six'],
    ]);
    // Written after the response, and still before the store closed: the audit row and the token's last use.
    expect((await home.rows<{ endpoint: string; status: number; token_name: string }>('SELECT endpoint, status, token_name FROM requests')).map((row) => [row.endpoint, Number(row.status), row.token_name])).toEqual([['chat', 200, 'carol']]);
    expect((await home.rows<{ last_used_at: unknown }>("SELECT last_used_at FROM tokens WHERE name = 'carol'"))[0]!.last_used_at).not.toBeNull();
  });

  it('a port in use is one clear line and exit 1', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const port = (blocker.address() as { port: number }).port;
    const result = await home.run(['serve', '--port', String(port)]);
    blocker.close();
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`Error: Port ${port} is in use on 127.0.0.1: choose another with --port.`);
  });

  it('a bad --port is a usage error', async () => {
    const result = await home.run(['serve', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port must be 0 to 65535/);
  });
});

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
