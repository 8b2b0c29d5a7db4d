/**
 * Memory: resident set size of a 50-turn `talk --text --mute` session against the local
 * server, sampled from /proc after every turn; the question is whether it keeps growing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeOpenAIServer } from '../test/support/openai-server.js';
import { table } from './stats.js';

const BIN = resolve(import.meta.dirname, '../bin/assistant.js');

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export async function memory(turns: number): Promise<string> {
  const server = await new FakeOpenAIServer().start();
  server.defaultReply = (request) => ({ text: `Answer number ${request.body.messages.length}. ${'Some words to stream. '.repeat(20)}`, chunkDelayMs: 0 });
  const home = mkdtempSync(join(tmpdir(), 'assistant-bench-memory-'));
  const child = spawn(process.execPath, [BIN, 'talk', '--text', '--mute', '--session', 'memory'], {
    env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'bench' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let answers = 0;
  child.stdout.on('data', (chunk: Buffer) => (answers += (chunk.toString().match(/\nYou: |^You: /g) ?? []).length));
  const samples: number[] = [];
  for (let turn = 1; turn <= turns; turn += 1) {
    child.stdin.write(`question ${turn}\n`);
    const deadline = Date.now() + 10_000;
    while (server.chatRequests.length < turn && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 30));
    samples.push(rssMegabytes(child.pid!));
  }
  child.stdin.end();
  await new Promise((resolve) => child.on('close', resolve));
  await server.close();
  rmSync(home, { recursive: true, force: true });
  const at = (turn: number): string => `${samples[turn - 1]!.toFixed(1)} MB`;
  const middle = Math.round(turns / 2);
  const growth = samples.at(-1)! - samples[middle - 1]!;
  return [
    table(['session', 'turns', 'RSS after turn 1', 'after 10', `after ${middle}`, `after ${turns}`, 'peak', `growth ${middle} → ${turns}`], [
      ['talk --text --mute', String(turns), at(1), at(10), at(middle), at(turns), `${Math.max(...samples).toFixed(1)} MB`, `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB`],
    ]),
    '',
    `RSS sampled from /proc after each turn. ${Math.abs(growth) < 5 ? 'No growth trend in the second half of the session.' : '**It still grows in the second half**: worth a look.'}`,
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
  execFileSync('espeak-ng', ['-w', wav, 'What is the weather like today?']);
  const child = spawn(process.execPath, [BIN, 'talk', '--device', 'pulseaudio:mic', '--mute', '--session', 'voice-memory'], {
    env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'bench', AUDIODRIVER: 'pulseaudio' },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const samples: number[] = [];
  for (let turn = 1; turn <= turns; turn += 1) {
    execFileSync('paplay', ['--device=micfeed', '--latency-msec=50', wav]);
    const deadline = Date.now() + 10_000;
    while (server.chatRequests.length < turn && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    samples.push(rssMegabytes(child.pid!));
  }
  child.kill('SIGINT');
  await new Promise((resolve) => child.on('close', resolve));
  await server.close();
  rmSync(home, { recursive: true, force: true });
  const heard = server.chatRequests.length;
  const middle = Math.round(turns / 2);
  const growth = samples.at(-1)! - samples[middle - 1]!;
  const at = (turn: number): string => `${samples[turn - 1]!.toFixed(1)} MB`;
  return [
    table(['session', 'turns fed', 'turns answered', 'RSS after turn 1', `after ${middle}`, `after ${turns}`, 'peak', `growth ${middle} → ${turns}`], [
      ['talk (voice, fed audio, --mute)', String(turns), String(heard), at(1), at(middle), at(turns), `${Math.max(...samples).toFixed(1)} MB`, `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB`],
    ]),
    '',
    `Each turn is a 1.8 s espeak-ng sentence played into the virtual microphone in real time. ${Math.abs(growth) < 5 ? 'No growth trend in the second half of the session.' : '**It still grows in the second half**: worth a look.'}`,
  ].join('\n');
}
