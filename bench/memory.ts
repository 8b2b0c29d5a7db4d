/**
 * Memory: resident set size of a 50-turn `talk --text --mute` session against the local
 * server, sampled from /proc after every turn; the question is whether it keeps growing.
 * RSS is a high-water mark (it rises and falls with V8's heap sizing and the garbage not yet
 * collected), so at a few turns the CLI also reports what is alive after a full collection,
 * JS heap and Buffers (bench/memory-probe.cjs): that is what grows when something is retained per turn.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeOpenAIServer } from '../test/support/openai-server.js';
import { table } from './stats.js';

const BIN = resolve(import.meta.dirname, '../bin/assistant.js');
const PROBE = resolve(import.meta.dirname, 'memory-probe.cjs');

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Asks the probe in the child for a full collection; the JS heap and Buffers left, in MB. */
async function aliveAfterCollection(child: ChildProcess, file: string): Promise<number> {
  const lines = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  const before = lines().length;
  child.kill('SIGUSR2');
  const deadline = Date.now() + 10_000;
  while (lines().length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const last = lines().at(-1);
  if (last === undefined) return Number.NaN;
  const { heapUsed, external } = JSON.parse(last) as { heapUsed: number; external: number };
  return (heapUsed + external) / 2 ** 20;
}

/** `bin` is the CLI to measure (another build's bin/assistant.js, to compare builds with the same benchmark). */
export async function memory(turns: number, bin = BIN): Promise<string> {
  const server = await new FakeOpenAIServer().start();
  server.defaultReply = (request) => ({ text: `Answer number ${request.body.messages.length}. ${'Some words to stream. '.repeat(20)}`, chunkDelayMs: 0 });
  const home = mkdtempSync(join(tmpdir(), 'assistant-bench-memory-'));
  const heapFile = join(home, 'heap.jsonl');
  const child = spawn(process.execPath, ['--expose-gc', '--require', PROBE, bin, 'talk', '--text', '--mute', '--session', 'memory'], {
    env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'bench', ASSISTANT_BENCH_HEAP_FILE: heapFile },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let answers = 0;
  child.stdout.on('data', (chunk: Buffer) => (answers += (chunk.toString().match(/\nYou: |^You: /g) ?? []).length));
  const middle = Math.round(turns / 2);
  // Only a few collections, so RSS keeps the shape it has without them.
  const aliveTurns = new Set([1, 10, middle, turns]);
  const samples: number[] = [];
  const alive = new Map<number, number>();
  for (let turn = 1; turn <= turns; turn += 1) {
    child.stdin.write(`question ${turn}\n`);
    const deadline = Date.now() + 10_000;
    while (server.chatRequests.length < turn && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 30));
    samples.push(rssMegabytes(child.pid!));
    if (aliveTurns.has(turn)) alive.set(turn, await aliveAfterCollection(child, heapFile));
  }
  child.stdin.end();
  await new Promise((resolve) => child.on('close', resolve));
  await server.close();
  rmSync(home, { recursive: true, force: true });
  const megabytes = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(1)} MB`);
  const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(1)} MB`;
  const growth = samples.at(-1)! - samples[middle - 1]!;
  const aliveGrowth = alive.get(turns)! - alive.get(middle)!;
  return [
    table(['session', 'turns', 'measure', 'after turn 1', 'after 10', `after ${middle}`, `after ${turns}`, 'peak', `growth ${middle} → ${turns}`], [
      ['talk --text --mute', String(turns), 'RSS', megabytes(samples[0]), megabytes(samples[9]), megabytes(samples[middle - 1]), megabytes(samples.at(-1)), megabytes(Math.max(...samples)), signed(growth)],
      ['', '', 'alive after full GC (JS heap + Buffers)', megabytes(alive.get(1)), megabytes(alive.get(10)), megabytes(alive.get(middle)), megabytes(alive.get(turns)), '', signed(aliveGrowth)],
    ]),
    '',
    `RSS sampled from /proc after each turn; what is alive after a full collection (node --expose-gc, bench/memory-probe.cjs) at the turns shown. ${
      Math.abs(aliveGrowth) < 1
        ? `What is alive after a collection is flat in the second half (${signed(aliveGrowth)}): nothing is retained per turn. RSS moves with V8's heap sizing (garbage not yet collected, compiled code), not with the session.`
        : `**It still grows in the second half**: ${signed(aliveGrowth)} alive after a collection, so something is retained per turn.`
    }`,
  ].join('\n');
}

/**
 * The same for a voice session: each turn is an espeak-ng sentence played into the virtual
 * microphone in real time (needs the virtual sound card: test/support/virtual-sound-card.sh).
 */
export async function voiceMemory(turns: number): Promise<string> {
  const server = await new FakeOpenAIServer().start();
  server.defaultTranscript = { text: 'What is the weather like today?' };
  const home = mkdtempSync(join(tmpdir(), 'assistant-bench-voice-'));
  const wav = join(home, 'question.wav');
  const heapFile = join(home, 'heap.jsonl');
  execFileSync('espeak-ng', ['-w', wav, 'What is the weather like today?']);
  const child = spawn(process.execPath, ['--expose-gc', '--require', PROBE, BIN, 'talk', '--device', 'pulseaudio:mic', '--mute', '--session', 'voice-memory'], {
    env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'bench', AUDIODRIVER: 'pulseaudio', ASSISTANT_BENCH_HEAP_FILE: heapFile },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const middle = Math.round(turns / 2);
  const aliveTurns = new Set([1, middle, turns]);
  const samples: number[] = [];
  const alive = new Map<number, number>();
  for (let turn = 1; turn <= turns; turn += 1) {
    execFileSync('paplay', ['--device=micfeed', '--latency-msec=50', wav]);
    const deadline = Date.now() + 10_000;
    while (server.chatRequests.length < turn && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    samples.push(rssMegabytes(child.pid!));
    if (aliveTurns.has(turn)) alive.set(turn, await aliveAfterCollection(child, heapFile));
  }
  child.kill('SIGINT');
  await new Promise((resolve) => child.on('close', resolve));
  await server.close();
  rmSync(home, { recursive: true, force: true });
  const heard = server.chatRequests.length;
  const growth = samples.at(-1)! - samples[middle - 1]!;
  const aliveGrowth = alive.get(turns)! - alive.get(middle)!;
  const megabytes = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(1)} MB`);
  const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(1)} MB`;
  return [
    table(['session', 'turns fed', 'turns answered', 'measure', 'after turn 1', `after ${middle}`, `after ${turns}`, 'peak', `growth ${middle} → ${turns}`], [
      ['talk (voice, fed audio, --mute)', String(turns), String(heard), 'RSS', megabytes(samples[0]), megabytes(samples[middle - 1]), megabytes(samples.at(-1)), megabytes(Math.max(...samples)), signed(growth)],
      ['', '', '', 'alive after full GC (JS heap + Buffers)', megabytes(alive.get(1)), megabytes(alive.get(middle)), megabytes(alive.get(turns)), '', signed(aliveGrowth)],
    ]),
    '',
    `Each turn is a 1.8 s espeak-ng sentence played into the virtual microphone in real time. ${
      Math.abs(aliveGrowth) < 1
        ? `What is alive after a collection is flat in the second half (${signed(aliveGrowth)}): the recording is not kept; RSS moves with V8's heap sizing.`
        : `**It still grows in the second half**: ${signed(aliveGrowth)} alive after a collection, so something is retained per turn.`
    }`,
  ].join('\n');
}
