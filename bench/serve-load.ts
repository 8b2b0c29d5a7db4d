/**
 * `assistant serve` under load on loopback: two replicas on one PostgreSQL (one on SQLite when
 * ASSISTANT_TEST_POSTGRES_URL is not set), the local server upstream with the other benchmarks'
 * delays, clients alternating between the replicas. Bounded by request count. Reports requests
 * per second, p50/p99, errors, history rows lost, the server's overhead over the upstream's own
 * latency at each number of clients, and the replicas' peak memory; and where the time goes
 * (serve-probe.cjs in each replica: PostgreSQL round trips per request by statement, the wait for
 * a pooled connection, event-loop delay, CPU per request).
 *
 * ASSISTANT_BENCH_SERVE_BASELINE=<another build's bin/assistant.js> measures that build first,
 * in the same run and against the same upstream, so the two can be compared side by side.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeOpenAIServer, echoReply } from '../test/support/openai-server.js';
import { openStore } from '../src/store/open-store.js';
import { ms, table } from './stats.js';

const BIN = resolve(import.meta.dirname, '../bin/assistant.js');
const PROBE = resolve(import.meta.dirname, 'serve-probe.cjs');
/** Upstream delays, as in the time-to-first-audio benchmark. */
const FIRST_TOKEN_MS = 250;
const TOKEN_MS = 30;
/** People, each with a token, sharing the replicas. */
const TEAM = 60;

interface Replica {
  child: ChildProcess;
  base: string;
  probeFile: string;
  snapshots: number;
}

/** What serve-probe.cjs reports for one stretch of the run. */
interface ProbeSnapshot {
  statements: Record<string, { count: number; ms: number }>;
  poolWait: { count: number; ms: number };
  loopDelayMs: { p50: number; p99: number; max: number };
  cpuMs: number;
}

interface LoadResult {
  latencies: number[];
  failures: Map<number, number>;
  seconds: number;
  /** CPU time of this process (the load generator and the upstream) during the load. */
  benchCpuMs: number;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** Runs `total` requests with `clients` in flight; latencies of the successful ones, and the failures by status. */
async function load(clients: number, total: number, request: (index: number) => Promise<Response>): Promise<LoadResult> {
  const latencies: number[] = [];
  const failures = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
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
  const used = process.cpuUsage(cpu);
  return { latencies: latencies.sort((a, b) => a - b), failures, seconds: (performance.now() - started) / 1000, benchCpuMs: (used.user + used.system) / 1000 };
}

async function startReplica(bin: string, env: NodeJS.ProcessEnv, probeFile: string): Promise<Replica> {
  const child = spawn(process.execPath, ['--require', PROBE, bin, 'serve', '--port', '0'], {
    env: { ...env, ASSISTANT_BENCH_PROBE_FILE: probeFile, ASSISTANT_BENCH_MODULES: resolve(bin, '../..') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  return { child, base: `http://127.0.0.1:${port}`, probeFile, snapshots: 0 };
}

/** The replica's probe totals since its last snapshot (and the probe starts again from zero). */
async function snapshot(replica: Replica): Promise<ProbeSnapshot> {
  replica.child.kill('SIGUSR2');
  replica.snapshots += 1;
  const deadline = performance.now() + 10_000;
  for (;;) {
    const lines = existsSync(replica.probeFile) ? readFileSync(replica.probeFile, 'utf8').trim().split('\n') : [];
    if (lines.length >= replica.snapshots) return JSON.parse(lines[replica.snapshots - 1]!) as ProbeSnapshot;
    if (performance.now() > deadline) throw new Error('the replica did not answer the probe');
    await new Promise((done) => setTimeout(done, 20));
  }
}

function peakMemoryMegabytes(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** One line per stretch: round trips and their time per request, by statement, most first. */
function breakdown(snapshots: ProbeSnapshot[], requests: number, benchCpuMs: number): string[] {
  const statements = new Map<string, { count: number; ms: number }>();
  let poolWaitMs = 0;
  let cpuMs = 0;
  for (const probe of snapshots) {
    for (const [label, entry] of Object.entries(probe.statements)) {
      const total = statements.get(label) ?? { count: 0, ms: 0 };
      statements.set(label, { count: total.count + entry.count, ms: total.ms + entry.ms });
    }
    poolWaitMs += probe.poolWait.ms;
    cpuMs += probe.cpuMs;
  }
  const trips = [...statements.values()].reduce((sum, entry) => sum + entry.count, 0);
  const tripMs = [...statements.values()].reduce((sum, entry) => sum + entry.ms, 0);
  const byStatement = [...statements]
    .sort(([, a], [, b]) => b.count - a.count)
    .map(([label, entry]) => `${label} ${(entry.count / requests).toFixed(2)}× ${ms(entry.ms / entry.count)}`)
    .join('; ');
  return [
    (trips / requests).toFixed(1),
    ms(tripMs / requests),
    ms(poolWaitMs / requests),
    snapshots.map((probe) => `${ms(probe.loopDelayMs.p50)} / ${ms(probe.loopDelayMs.p99)}`).join(', '),
    ms(cpuMs / requests),
    ms(benchCpuMs / requests),
    byStatement || '-',
  ];
}

/** One build's replicas on their own database, with what was measured of them. */
interface Deployment {
  title: string;
  replicas: Replica[];
  post: (index: number, path: string, body: unknown) => Promise<Response>;
  home: string;
  databaseUrl: string | undefined;
  dropDatabase: (() => Promise<void>) | undefined;
  rows: string[][];
  probeRows: string[][];
  p50s: Map<string, number>;
  /** Answered asks, each of which must have left a question and an answer. */
  asked: number;
  unexpected: number;
}

async function deploy(title: string, bin: string, upstream: FakeOpenAIServer): Promise<Deployment> {
  const home = mkdtempSync(join(tmpdir(), 'assistant-bench-serve-'));
  const postgres = process.env.ASSISTANT_TEST_POSTGRES_URL;
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (postgres) {
    const { createTestDatabase, dropTestDatabase } = await import('../test/support/postgres.js');
    const url = await createTestDatabase();
    databaseUrl = url;
    dropDatabase = () => dropTestDatabase(url);
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'),
    OPENAI_BASE_URL: upstream.url, OPENAI_API_KEY: 'bench-server-key', ASSISTANT_MAX_RETRIES: '0', TIMEOUT: '60',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  // A team: one token per person, so the per-token bound on calls in flight (4 per replica) is not what is measured.
  const tokens = Array.from({ length: TEAM }, (_, person) => spawnSync(process.execPath, [bin, 'token', 'create', '--name', `person-${person}`], { env, encoding: 'utf8' }).stdout.trim());
  const starting = postgres ? [0, 1] : [0];
  const replicas = await Promise.all(starting.map((index) => startReplica(bin, env, join(home, `probe-${index}.jsonl`))));
  const post = (index: number, path: string, body: unknown): Promise<Response> =>
    fetch(`${replicas[index % replicas.length]!.base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[Math.floor(index / replicas.length) % TEAM]!}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  await post(0, '/v1/ask', { text: 'the cached question', temperature: 0 });
  await Promise.all(replicas.map(snapshot));
  return { title, replicas, post, home, databaseUrl, dropDatabase, rows: [], probeRows: [], p50s: new Map(), asked: 1, unexpected: 0 };
}

/** Stops the replicas and checks that every answered ask left its question and its answer in the shared history. */
async function retire(deployment: Deployment): Promise<{ lost: string; memory: string }> {
  const memory = deployment.replicas.map((replica) => `${peakMemoryMegabytes(replica.child).toFixed(0)} MB`).join(' and ');
  for (const replica of deployment.replicas) replica.child.kill('SIGTERM');
  await Promise.all(deployment.replicas.map((replica) => new Promise((done) => replica.child.once('exit', done))));
  const { databaseUrl, home } = deployment;
  const store = await openStore(databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'sqlite', path: join(home, 'data', 'assistant', 'assistant.db') });
  const messages = (await store.size()).rows.messages;
  await store.close();
  await deployment.dropDatabase?.();
  rmSync(home, { recursive: true, force: true });
  const expected = 2 * deployment.asked;
  return { lost: `${messages ?? '?'} messages stored for ${deployment.asked} answered asks (${expected} expected: each question and its answer): **${messages === expected ? 'nothing lost' : 'rows missing'}**`, memory };
}

async function measure(deployment: Deployment | undefined, name: string, clients: number, total: number, request: (index: number) => Promise<Response>): Promise<number> {
  const result = await load(clients, total, request);
  const p50 = percentile(result.latencies, 0.5);
  if (!deployment) return p50;
  const probes = await Promise.all(deployment.replicas.map(snapshot));
  if (name.startsWith('/v1/ask')) deployment.asked += result.latencies.length;
  deployment.p50s.set(`${name} ${clients}`, p50);
  for (const [status, count] of result.failures) if (status !== 429) deployment.unexpected += count;
  const failed = [...result.failures].map(([status, count]) => `${count}×${status || 'network'}`).join(', ') || '0';
  deployment.rows.push([name, String(clients), String(total), (result.latencies.length / result.seconds).toFixed(1), ms(p50), ms(percentile(result.latencies, 0.99)), failed]);
  deployment.probeRows.push([name, String(clients), ...breakdown(probes, total, result.benchCpuMs)]);
  return p50;
}

function report(deployment: Deployment, retired: { lost: string; memory: string }, overheads: Map<string, Map<number, number>>, levels: number[]): string {
  const verdict = (overhead: number): string => `${ms(overhead)} (${overhead < 5 ? 'met' : 'missed'})`;
  const of = (route: string, clients: number): number => overheads.get(route)!.get(clients)!;
  return [
    `### ${deployment.title}`,
    '',
    table(['route', 'clients', 'requests', 'req/s', 'p50', 'p99', 'failed'], deployment.rows),
    '',
    table(['clients', ...levels.map(String)], [
      ['overhead at p50, uncached /v1/ask (target under 5 ms)', ...levels.map((clients) => verdict(of('ask', clients)))],
      ['overhead at p50, gateway', ...levels.map((clients) => ms(of('gateway', clients)))],
    ]),
    '',
    'Where the time goes, per request (serve-probe.cjs in each replica; round trips are pg queries, their time from sent to answered):',
    '',
    table(['route', 'clients', 'PostgreSQL round trips', 'their time', 'pool wait', 'event-loop delay p50 / p99 (each replica)', 'replica CPU', 'load generator + upstream CPU', 'round trips by statement (count, mean time)'], deployment.probeRows),
    '',
    `Errors other than 429: **${deployment.unexpected}**. History: ${retired.lost}. Peak memory of the replicas: ${retired.memory}.`,
  ].join('\n');
}

export async function serveLoad(levels: number[], requestsPerLevel: (clients: number) => number): Promise<string> {
  const upstream = await new FakeOpenAIServer().start();
  upstream.defaultReply = (request) => ({ ...(typeof echoReply === 'function' ? echoReply(request) : echoReply), delayMs: FIRST_TOKEN_MS, chunkDelayMs: TOKEN_MS });
  const baseline = process.env.ASSISTANT_BENCH_SERVE_BASELINE;
  const deployments: Deployment[] = [];
  try {
    if (baseline) deployments.push(await deploy('Before (baseline build)', resolve(baseline), upstream));
    deployments.push(await deploy(baseline ? 'After (this build)' : 'This build', BIN, upstream));
    // The floor asks the upstream itself the same shape of question (the echoed answer has as many tokens), at the same number of clients.
    const floor = (stream: boolean) => (index: number) =>
      fetch(`${upstream.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: 'user', content: `question ${index} ${Math.random()}` }] }),
      });
    const floorRows: string[][] = [];
    const overheads = deployments.map(() => new Map([['ask', new Map<number, number>()], ['gateway', new Map<number, number>()]]));
    // Level by level, each build right after the other, so both meet the same load on this shared machine.
    for (const clients of levels) {
      const total = requestsPerLevel(clients);
      const streamedFloor = await measure(undefined, 'floor', clients, total, floor(true));
      const wholeFloor = await measure(undefined, 'floor', clients, total, floor(false));
      floorRows.push([String(clients), ms(streamedFloor), ms(wholeFloor)]);
      for (const [index, deployment] of deployments.entries()) {
        await measure(deployment, '/v1/ask, cached', clients, total, (request) => deployment.post(request, '/v1/ask', { text: 'the cached question', temperature: 0 }));
        const ask = await measure(deployment, '/v1/ask, uncached', clients, total, (request) => deployment.post(request, '/v1/ask', { text: `question ${request} ${Math.random()}` }));
        const gateway = await measure(deployment, 'gateway /v1/chat/completions', clients, total, (request) =>
          deployment.post(request, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${request} ${Math.random()}` }] }),
        );
        overheads[index]!.get('ask')!.set(clients, ask - streamedFloor);
        overheads[index]!.get('gateway')!.set(clients, gateway - wholeFloor);
      }
    }
    const retired = [];
    for (const deployment of deployments.splice(0)) retired.push({ deployment, ...(await retire(deployment)) });
    const sideBySide = baseline
      ? [
          '',
          table(['p50 overhead over the upstream, uncached /v1/ask', ...levels.map((clients) => `${clients} client${clients === 1 ? '' : 's'}`)],
            retired.map(({ deployment }, index) => [deployment.title, ...levels.map((clients) => ms(overheads[index]!.get('ask')!.get(clients)!))])),
        ]
      : [];
    const replicaCount = retired.at(-1)!.deployment.replicas.length;
    return [
      `${replicaCount} replica${replicaCount === 1 ? '' : 's'} of \`assistant serve\` on ${process.env.ASSISTANT_TEST_POSTGRES_URL ? 'one PostgreSQL' : 'SQLite (set ASSISTANT_TEST_POSTGRES_URL for two replicas on PostgreSQL)'} per build, ` +
        `clients alternating between them; upstream: first token ${FIRST_TOKEN_MS} ms, ${TOKEN_MS} ms per token (answers of 5 tokens). ${TEAM} people, a token each, no limits set on them. ` +
        'The overhead is the p50 over the p50 of the upstream alone asked the same shape of question by as many clients, measured just before. ' +
        'The load generator and the upstream run in the benchmark process, on the same 2 cores as the replicas and PostgreSQL.',
      ...sideBySide,
      '',
      table(['clients', 'upstream alone, streamed: p50', 'upstream alone, whole: p50'], floorRows),
      ...retired.flatMap(({ deployment, lost, memory }, index) => ['', report(deployment, { lost, memory }, overheads[index]!, levels)]),
    ].join('\n');
  } finally {
    for (const deployment of deployments) for (const replica of deployment.replicas) replica.child.kill('SIGTERM');
    await upstream.close();
  }
}
