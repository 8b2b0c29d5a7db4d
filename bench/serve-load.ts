/**
 * `assistant serve` under load on loopback: two replicas on one PostgreSQL (one on SQLite when
 * ASSISTANT_TEST_POSTGRES_URL is not set), the local server upstream with the other benchmarks'
 * delays, clients alternating between the replicas. Bounded by request count. Reports requests
 * per second, p50/p99, errors, history rows lost, the server's overhead over the upstream's own
 * latency, and the replicas' peak memory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeOpenAIServer, echoReply } from '../test/support/openai-server.js';
import { openStore } from '../src/store/open-store.js';
import { ms, table } from './stats.js';

const BIN = resolve(import.meta.dirname, '../bin/assistant.js');
/** Upstream delays, as in the time-to-first-audio benchmark. */
const FIRST_TOKEN_MS = 250;
const TOKEN_MS = 30;
/** People, each with a token, sharing the replicas. */
const TEAM = 60;

interface Replica {
  child: ChildProcess;
  base: string;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** Runs `total` requests with `clients` in flight; latencies of the successful ones, and the failures by status. */
async function load(clients: number, total: number, request: (index: number) => Promise<Response>): Promise<{ latencies: number[]; failures: Map<number, number>; seconds: number }> {
  const latencies: number[] = [];
  const failures = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const index = next++;
        const begin = performance.now();
        const response = await request(index).catch(() => undefined);
        await response?.arrayBuffer().catch(() => undefined);
        if (response?.ok) latencies.push(performance.now() - begin);
        else failures.set(response?.status ?? 0, (failures.get(response?.status ?? 0) ?? 0) + 1);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), failures, seconds: (performance.now() - started) / 1000 };
}

async function startReplica(env: NodeJS.ProcessEnv): Promise<Replica> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolvePort, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"event":"listening".*?"port":(\d+)/.exec(output);
      if (match) resolvePort(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  // Keep draining the log lines so the pipe never blocks the server.
  child.stdout!.resume();
  return { child, base: `http://127.0.0.1:${port}` };
}

function peakMemoryMegabytes(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

export async function serveLoad(levels: number[], requestsPerLevel: (clients: number) => number): Promise<string> {
  const upstream = await new FakeOpenAIServer().start();
  upstream.defaultReply = (request) => ({ ...(typeof echoReply === 'function' ? echoReply(request) : echoReply), delayMs: FIRST_TOKEN_MS, chunkDelayMs: TOKEN_MS });
  const home = mkdtempSync(join(tmpdir(), 'assistant-bench-serve-'));
  const postgres = process.env.ASSISTANT_TEST_POSTGRES_URL;
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (postgres) {
    const { createTestDatabase, dropTestDatabase } = await import('../test/support/postgres.js');
    databaseUrl = await createTestDatabase();
    dropDatabase = () => dropTestDatabase(databaseUrl!);
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'),
    OPENAI_BASE_URL: upstream.url, OPENAI_API_KEY: 'bench-server-key', ASSISTANT_MAX_RETRIES: '0', TIMEOUT: '60',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  // A team: one token per person, so the per-token bound on calls in flight (4 per replica) is not what is measured.
  const tokens = Array.from({ length: TEAM }, (_, person) => spawnSync(process.execPath, [BIN, 'token', 'create', '--name', `person-${person}`], { env, encoding: 'utf8' }).stdout.trim());
  const replicas = postgres ? await Promise.all([startReplica(env), startReplica(env)]) : [await startReplica(env)];
  const post = (index: number, path: string, body: unknown): Promise<Response> =>
    fetch(`${replicas[index % replicas.length]!.base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[Math.floor(index / replicas.length) % TEAM]!}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  // The floor: the upstream's own latency for the same answer, without the server.
  const floor = await load(10, 50, (index) =>
    fetch(`${upstream.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: `floor ${index}` }] }) }),
  );
  await post(0, '/v1/ask', { text: 'the cached question', temperature: 0 });
  const cases: Array<[string, (index: number) => Promise<Response>]> = [
    ['/v1/ask, cached', (index) => post(index, '/v1/ask', { text: 'the cached question', temperature: 0 })],
    ['/v1/ask, uncached', (index) => post(index, '/v1/ask', { text: `question ${index} ${Math.random()}` })],
    ['gateway /v1/chat/completions', (index) => post(index, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `gateway ${index} ${Math.random()}` }] })],
  ];
  const rows: string[][] = [];
  let asked = 1; // the cached question, asked once before the rounds
  let unexpected = 0;
  let uncachedP50AtTen = Number.NaN;
  for (const [name, request] of cases) {
    for (const clients of levels) {
      const total = requestsPerLevel(clients);
      const result = await load(clients, total, request);
      if (name.startsWith('/v1/ask')) asked += result.latencies.length;
      if (name === '/v1/ask, uncached' && clients === levels[0]) uncachedP50AtTen = percentile(result.latencies, 0.5);
      for (const [status, count] of result.failures) if (status !== 429) unexpected += count;
      const failed = [...result.failures].map(([status, count]) => `${count}×${status || 'network'}`).join(', ') || '0';
      rows.push([name, String(clients), String(total), (result.latencies.length / result.seconds).toFixed(1), ms(percentile(result.latencies, 0.5)), ms(percentile(result.latencies, 0.99)), failed]);
    }
  }
  const memory = replicas.map((replica) => `${peakMemoryMegabytes(replica.child).toFixed(0)} MB`).join(' and ');

  for (const replica of replicas) replica.child.kill('SIGTERM');
  await Promise.all(replicas.map((replica) => new Promise((done) => replica.child.once('exit', done))));
  // Nothing lost: every answered /v1/ask left its question and its answer in the shared history.
  const store = await openStore(databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'sqlite', path: join(home, 'data', 'assistant', 'assistant.db') });
  const messages = (await store.size()).rows.messages;
  await store.close();
  const expected = 2 * asked;
  await upstream.close();
  await dropDatabase?.();
  rmSync(home, { recursive: true, force: true });

  const floorP50 = percentile(floor.latencies, 0.5);
  return [
    `${replicas.length} replica${replicas.length === 1 ? '' : 's'} of \`assistant serve\` on ${postgres ? 'one PostgreSQL' : 'SQLite (set ASSISTANT_TEST_POSTGRES_URL for two replicas on PostgreSQL)'}, ` +
      `clients alternating between them; upstream: first token ${FIRST_TOKEN_MS} ms, ${TOKEN_MS} ms per token (answers of 4-5 tokens). ${TEAM} people, a token each, no limits set on them.`,
    '',
    table(['route', 'clients', 'requests', 'req/s', 'p50', 'p99', 'failed'], rows),
    '',
    `The upstream alone (streamed, 10 clients): p50 ${ms(floorP50)}. Server overhead over it at p50, uncached /v1/ask with 10 clients: ${ms(uncachedP50AtTen - floorP50)} (target under 5 ms: **${uncachedP50AtTen - floorP50 < 5 ? 'met' : 'missed'}**). ` +
      `Errors other than 429: **${unexpected}**. History: ${messages ?? '?'} messages stored for ${asked} answered asks (${expected} expected: each question and its answer): **${messages === expected ? 'nothing lost' : 'rows missing'}**. ` +
      `Peak memory of the replicas: ${memory}.`,
  ].join('\n');
}
