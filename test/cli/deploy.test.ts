/**
 * The deploy files' contract, since no image can be built here: the Dockerfile's exact CMD
 * with its ENV, and the Procfile's command as Heroku runs it (through a shell), read PORT,
 * listen on every interface, answer /healthz (the HEALTHCHECK's own command exits 0), log
 * JSON lines on stdout and exit 0 within 10 s of SIGTERM. The Vercel function (api/index.js)
 * is loaded in a process of its own and called Request -> Response: /healthz and /readyz on
 * PostgreSQL, and its refusal of any other store. The AWS Lambda handler
 * (dist/server/lambda-entry.js) the same way, with API Gateway HTTP API (v2) events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, parseStoreLocation } from '../../src/store/open-store.js';
import { hashTokenSecret, newTokenSecret } from '../../src/tokens/token-secret.js';
import { collect, PLANTED_KEY, TEST_STORE, type CliResult, type TempHome } from '../support/cli.js';
import { useCliHarness } from '../support/harness.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/** Processes a failed test left running (they are in groups of their own, so nothing else ends them). */
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const ROOT = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** The JSON array of the Dockerfile instruction `name` (the last one: the runtime stage's). */
function execForm(pattern: RegExp): string[] {
  const found = [...dockerfile.matchAll(pattern)].at(-1);
  if (!found) throw new Error(`no ${String(pattern)} in the Dockerfile`);
  return JSON.parse(found[1]!) as string[];
}

/** Every ENV of the runtime stage (after the last FROM). */
function runtimeEnvironment(): Record<string, string> {
  const stage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const pairs = [...stage.matchAll(/^ENV\s+(.+)$/gm)].flatMap((line) => [...line[1]!.matchAll(/(\w+)=(\S+)/g)]);
  return Object.fromEntries(pairs.map((pair) => [pair[1]!, pair[2]!]));
}

/** The store for the process: the test's PostgreSQL database, or a SQLite file in the temp home. */
function databaseUrl(): string {
  return home.isPostgres ? home.environment().DATABASE_URL! : `sqlite:${join(home.root, 'deployed.db')}`;
}

interface Running {
  child: ChildProcess;
  done: Promise<CliResult>;
  lines: () => Array<Record<string, unknown>>;
}

/** In a process group of its own, as a platform starts it, so SIGTERM can go to the whole group. */
async function startProcess(command: string, args: string[], env: Record<string, string>): Promise<Running> {
  const child = spawn(command, args, { cwd: ROOT, env: home.environment({ DATABASE_URL: databaseUrl(), ...env }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = collect(child);
  const lines = (): Array<Record<string, unknown>> => stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  await waitUntil(() => lines().some((line) => line.event === 'listening'), `${command} ${args.join(' ')} to listen`);
  return { child, done, lines };
}

/**
 * Sends SIGTERM, to the process or (as Heroku does to a dyno) to its whole process group; it must
 * be gone within the 10 s platforms give before SIGKILL.
 */
async function terminate(running: Running, to: 'process' | 'group' = 'process'): Promise<CliResult> {
  if (to === 'group') process.kill(-running.child.pid!, 'SIGTERM');
  else running.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('still running 10 s after SIGTERM')), 10_000)));
  try {
    return await Promise.race([running.done, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The HEALTHCHECK's command, run as the container runtime would: a process in the container's environment. */
function healthcheck(port: number): Promise<CliResult> {
  const [command, ...args] = execForm(/^HEALTHCHECK\s.*?\bCMD\s+(\[.*\])\s*$/gm);
  return collect(spawn(command!, args, { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Proves "every interface": the port answers on an address other than loopback, when the machine has one. */
async function reachableBeyondLoopback(port: number): Promise<void> {
  const external = Object.values(networkInterfaces()).flat().find((address) => address && address.family === 'IPv4' && !address.internal);
  if (!external) return;
  expect((await fetch(`http://${external.address}:${port}/healthz`)).status).toBe(200);
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolvePromise) => probe.once('listening', resolvePromise));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolvePromise) => probe.close(resolvePromise));
  return port;
}

describe('the container contract (Dockerfile)', () => {
  it('runs as a non-root user from node:20-slim, with production dependencies only and no compiler, and exposes PORT', () => {
    expect(dockerfile).toMatch(/^FROM node:20-slim AS build$/m);
    const stages = dockerfile.split(/^(?=FROM )/m).filter((stage) => stage.startsWith('FROM '));
    const dependencies = stages.find((stage) => /^FROM node:20-slim AS dependencies$/m.test(stage))!;
    const runtime = stages.at(-1)!;
    expect(runtime).toMatch(/^FROM node:20-slim$/m);
    // Production dependencies only, with better-sqlite3's binary checked at build time; the tools a compile needs stay in that stage.
    expect(dependencies).toMatch(/npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3/);
    expect(dependencies).toMatch(/require\('better-sqlite3'\)/);
    expect(runtime).toMatch(/^COPY --from=dependencies \/app\/node_modules \.\/node_modules$/m);
    expect(runtime).not.toMatch(/apt-get|g\+\+|npm ci|npm install/);
    // The whole build output: the server and the web page's assets.
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtimeEnvironment().PORT).toBe('8080');
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
  });

  it('CMD with the image ENV and PORT listens on every interface, passes its HEALTHCHECK, logs JSON on stdout and exits 0 on SIGTERM', async () => {
    const [command, ...args] = execForm(/^CMD\s+(\[.*\])\s*$/gm);
    const port = await freePort();
    const running = await startProcess(command!, args, { ...runtimeEnvironment(), PORT: String(port) });
    expect(running.lines().find((line) => line.event === 'listening')).toMatchObject({ host: '0.0.0.0', port });
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok' });
    await reachableBeyondLoopback(port);

    const healthy = await healthcheck(port);
    expect(healthy.code).toBe(0);

    const result = await terminate(running);
    expect(result.code).toBe(0);
    expect(running.lines().map((line) => line.event ?? `${String(line.method)} ${String(line.path)} ${String(line.status)}`)).toContain('GET /healthz 200');
    expect(running.lines().at(-1)).toMatchObject({ event: 'stopped' });
    // With nothing listening, the same check fails: it tests the server, not itself.
    expect((await healthcheck(port)).code).toBe(1);
  });
});

describe('the container serves the API', () => {
  it('with a token: answers, then the same deterministic question from the cache, an upstream failure, and /metrics counts them', async () => {
    // A token straight into the store the process will use (the `token` command is another branch's).
    const secret = newTokenSecret();
    const store = await openStore(parseStoreLocation(databaseUrl(), ROOT));
    await store.createToken({ name: 'alice', hash: hashTokenSecret(secret) });
    await store.close();

    const [command, ...args] = execForm(/^CMD\s+(\[.*\])\s*$/gm);
    const port = await freePort();
    const running = await startProcess(command!, args, { ...runtimeEnvironment(), PORT: String(port) });
    const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
    const ask = async (text: string): Promise<unknown> =>
      (await fetch(`http://127.0.0.1:${port}/v1/ask`, { method: 'POST', headers, body: JSON.stringify({ text, temperature: 0 }) })).json();
    expect(await ask('same again')).toMatchObject({ answer: 'You said: same again', cached: false });
    expect(await ask('same again')).toMatchObject({ answer: 'You said: same again', cached: true });
    server.enqueue({ status: 500, errorMessage: 'boom' });
    expect(await ask('something new')).toMatchObject({ error: { type: 'upstream' } });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers })).text();
    expect(metrics).toContain('assistant_http_requests_total{method="POST",route="/v1/ask",status="200"} 2\n');
    expect(metrics).toContain('\nassistant_cache_hits_total{kind="chat"} 1\n');
    expect(metrics).toContain('assistant_http_requests_total{method="POST",route="/v1/ask",status="502"} 1\n');
    expect(metrics).toContain('\nassistant_upstream_errors_total{endpoint="chat",status="500",error="InternalServerError"} 1\n');
    expect((await terminate(running)).code).toBe(0);
  });
});

describe('Heroku (Procfile)', () => {
  it('the web process, run through a shell as Heroku does, listens on PORT on every interface and stops cleanly', async () => {
    const web = /^web:\s*(.+)$/m.exec(readFileSync(join(ROOT, 'Procfile'), 'utf8'))![1]!;
    const port = await freePort();
    const running = await startProcess('sh', ['-c', web], { PORT: String(port) });
    expect(running.lines().find((line) => line.event === 'listening')).toMatchObject({ host: '0.0.0.0', port });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    // The shell dies of the signal; the server stops gracefully, and the output closes only when both are gone.
    await terminate(running, 'group');
    expect(running.lines().at(-1)).toMatchObject({ event: 'stopped' });
  });

  it('app.json asks for the PostgreSQL add-on and requires OPENAI_API_KEY', () => {
    const app = JSON.parse(readFileSync(join(ROOT, 'app.json'), 'utf8')) as { addons: Array<{ plan: string }>; env: Record<string, { required?: boolean; value?: string }> };
    expect(app.addons.map((addon) => addon.plan.split(':')[0])).toContain('heroku-postgresql');
    expect(app.env.OPENAI_API_KEY?.required).toBe(true);
    expect(app.env.ENVIRONMENT?.value).toBe('production');
  });
});

describe('Vercel (api/index.js)', () => {
  /** Loads the function in a fresh process with `env` and calls it: Request in, Response out. */
  async function callFunction(env: Record<string, string | undefined>, method: string, path: string): Promise<{ status: number; body: unknown; stderr: string }> {
    const script = `
      const entry = await import(${JSON.stringify(join(ROOT, 'api/index.js'))});
      const response = await entry.default.fetch(new Request('https://assistant.example${path}', { method: ${JSON.stringify(method)} }));
      // The function logs its requests on stdout too: the answer is the last line.
      process.stdout.write('\\n' + JSON.stringify({ status: response.status, body: await response.json() }));
      process.exit(0);`;
    const result = await collect(spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: home.environment(env), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(result.code, result.stderr).toBe(0);
    return { ...(JSON.parse(result.stdout.split('\n').at(-1)!) as { status: number; body: unknown }), stderr: result.stderr };
  }

  it('refuses a store that is not PostgreSQL, at start and in every answer', async () => {
    const refused = await callFunction({ DATABASE_URL: `sqlite:${join(home.root, 'vercel.db')}` }, 'GET', '/healthz');
    const message = 'On Vercel the store must be PostgreSQL: set DATABASE_URL to a postgres:// URL (a function keeps no files between requests).';
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: { message, type: 'unavailable' } });
    expect(refused.stderr.trim()).toBe(`Error: ${message}`);
    // The default store (a SQLite file) is refused the same way.
    expect((await callFunction({ DATABASE_URL: undefined }, 'POST', '/v1/ask')).status).toBe(503);
  });

  it('serves /healthz, and /readyz on PostgreSQL, with the same routes as serve', async () => {
    if (!home.isPostgres) return;
    const env = { DATABASE_URL: databaseUrl() };
    expect(await callFunction(env, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await callFunction(env, 'GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect(await callFunction(env, 'POST', '/v1/ask')).toMatchObject({ status: 401, body: { error: { type: 'authentication' } } });
  });
});

describe('AWS Lambda (dist/server/lambda-entry.js)', () => {
  /** An API Gateway HTTP API (payload format 2.0) event, as Lambda receives it. */
  function gatewayEvent(method: string, path: string, headers: Record<string, string> = {}, body?: string): Record<string, unknown> {
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https', ...headers },
      requestContext: {
        accountId: '123456789012', apiId: 'abc123', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', domainPrefix: 'abc123',
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
        requestId: 'request-1', routeKey: '$default', stage: '$default', time: '26/Nov/2026:03:00:00 +0000', timeEpoch: 1_795_000_000_000,
      },
      body: body ?? null,
      isBase64Encoded: false,
    };
  }

  /** Loads the module in a fresh process with `env`, as Lambda does at a cold start, and calls its `handler` with each event in turn. */
  async function invoke(env: Record<string, string | undefined>, events: Array<Record<string, unknown>>): Promise<{ results: Array<{ statusCode: number; body: string; headers: Record<string, string> }>; stderr: string }> {
    const script = `
      const { handler } = await import(${JSON.stringify(join(ROOT, 'dist/server/lambda-entry.js'))});
      const results = [];
      for (const event of ${JSON.stringify(events)}) results.push(await handler(event, {}));
      process.stdout.write('\\n' + JSON.stringify(results));
      process.exit(0);`;
    const result = await collect(spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: home.environment(env), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(result.code, result.stderr).toBe(0);
    return { results: JSON.parse(result.stdout.split('\n').at(-1)!) as Array<{ statusCode: number; body: string; headers: Record<string, string> }>, stderr: result.stderr };
  }

  it('refuses a store that is not PostgreSQL, at start and in every answer', async () => {
    const { results, stderr } = await invoke({ DATABASE_URL: `sqlite:${join(home.root, 'lambda.db')}` }, [gatewayEvent('GET', '/healthz')]);
    const message = 'On AWS Lambda the store must be PostgreSQL: set DATABASE_URL to a postgres:// URL (a function keeps no files between invocations).';
    expect(results[0]).toMatchObject({ statusCode: 503 });
    expect(JSON.parse(results[0]!.body)).toEqual({ error: { message, type: 'unavailable' } });
    expect(stderr.trim()).toBe(`Error: ${message}`);
  });

  it.skipIf(TEST_STORE !== 'postgres')('on PostgreSQL: /healthz, an answer for a token from the local OpenAI-compatible server, and 401 without one', async () => {
    const secret = newTokenSecret();
    const store = await openStore(parseStoreLocation(databaseUrl(), ROOT));
    await store.createToken({ name: 'alice', hash: hashTokenSecret(secret) });
    await store.close();
    const question = JSON.stringify({ text: 'hello from lambda' });
    const { results } = await invoke({ DATABASE_URL: databaseUrl() }, [
      gatewayEvent('GET', '/healthz'),
      gatewayEvent('POST', '/v1/ask', { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, question),
      gatewayEvent('POST', '/v1/ask', { 'content-type': 'application/json' }, question),
    ]);
    expect(results.map((result) => result.statusCode)).toEqual([200, 200, 401]);
    expect(JSON.parse(results[0]!.body)).toEqual({ status: 'ok' });
    expect(JSON.parse(results[1]!.body)).toMatchObject({ answer: 'You said: hello from lambda', cached: false });
    expect(JSON.parse(results[2]!.body)).toMatchObject({ error: { type: 'authentication' } });
    // The question went upstream with the server's key; the token never left.
    expect(server.chatRequests.at(-1)!.headers.authorization).toBe(`Bearer ${PLANTED_KEY}`);
    expect((await home.rows<{ content: string }>("SELECT content FROM messages WHERE role = 'user'")).map((row) => row.content)).toEqual(['hello from lambda']);
  });
});
