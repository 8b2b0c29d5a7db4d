/**
 * `assistant doctor` against the local OpenAI-compatible server, with each fault planted in
 * turn. The microphone is a file (--device wav:...), read by the same SoxRecorder talk uses,
 * and the player a small script that keeps what it was given, so these run without a sound
 * card; test/cli/doctor-audio.test.ts runs the real devices of the virtual sound card.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { silence, speechLike } from '../support/audio-fixtures.js';
import { PLANTED_KEY, type CliResult, type TempHome } from '../support/cli.js';
import { useCliHarness } from '../support/harness.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

interface Line {
  status: string;
  name: string;
  text: string;
}

/** The check lines of doctor's output: "status name what was found. Fix: ...". */
function linesOf(result: CliResult): Map<string, Line> {
  const lines = new Map<string, Line>();
  for (const line of result.stdout.split('\n')) {
    const match = /^(ok|warning|problem) +(\S+(?: model)?) +(.*)$/.exec(line);
    if (match) lines.set(match[2]!, { status: match[1]!, name: match[2]!, text: match[3]! });
  }
  return lines;
}

/** A microphone that hears a voice-like sound, as a file SoX reads; and a player that keeps what it plays. */
function devices(pcm: Buffer = speechLike(2000)): { device: string; player: string; played: string } {
  const microphone = join(home.root, 'microphone.wav');
  writeFileSync(microphone, encodeWav(pcm));
  const played = join(home.root, 'played.wav');
  const player = join(home.root, 'keep-player');
  writeFileSync(player, `#!/bin/sh\n/bin/cp "$1" "${played}"\n`, { mode: 0o755 });
  return { device: `wav:${microphone}`, player, played };
}

/** Models the test server lists, so only a planted fault makes a model line a warning. */
const LISTED_MODELS = { ASSISTANT_MODEL: 'test-model', ASSISTANT_STT_MODEL: 'test-model', ASSISTANT_TTS_MODEL: 'gpt-4o-mini' };

async function doctor(extraArguments: string[] = [], env: Record<string, string | undefined> = {}, cwd?: string): Promise<CliResult> {
  const { device, player } = devices();
  return home.run(['doctor', '--device', device, '--player', player, ...extraArguments], { env: { ...LISTED_MODELS, ...env }, ...(cwd ? { cwd } : {}) });
}

function expectNoKey(result: CliResult): void {
  expect(result.stdout).not.toContain(PLANTED_KEY);
  expect(result.stderr).not.toContain(PLANTED_KEY);
}

describe('assistant doctor', () => {
  it('says ok on every line and exits 0 when the set-up works, and asks each server what it checks', async () => {
    const { device, player, played } = devices();
    const result = await home.run(['doctor', '--device', device, '--player', player], { env: LISTED_MODELS });
    expect(result.code, result.stderr).toBe(0);
    const lines = linesOf(result);
    expect([...lines.keys()]).toEqual(['node', 'sox', 'microphone', 'player', 'api', 'chat model', 'stt model', 'tts model', 'stt', 'tts', 'store', '.env']);
    for (const line of lines.values()) expect(line.status, `${line.name}: ${line.text}`).toBe('ok');
    expect(lines.get('sox')!.text).toMatch(/drivers: .*WAV yes/);
    expect(lines.get('microphone')!.text).toMatch(/^1\.0 s from "wav:.*", level -\d+ dBFS$/);
    expect(lines.get('store')!.text).toMatch(/schema \d+, \d+ kB/);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('Everything checked is ready.');
    expect(readFileSync(played).subarray(0, 4).toString('ascii')).toBe('RIFF');
    // The key went to the server, and nowhere else.
    const models = server.requests.find((request) => request.path === '/v1/models')!;
    expect(models.headers.authorization).toBe(`Bearer ${PLANTED_KEY}`);
    expect(server.speechRequests[0]!.body).toMatchObject({ model: 'gpt-4o-mini', input: 'ok', response_format: 'wav' });
    expect(server.transcriptionRequests).toHaveLength(1);
    expect(server.chatRequests).toHaveLength(0);
    expectNoKey(result);
  });

  it('--json prints one object with every check', async () => {
    const result = await doctor(['--json'], { ASSISTANT_MODEL: 'no-such-model' });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; problems: number; warnings: number; checks: Array<{ name: string; status: string; found: string; fix?: string }> };
    expect(report).toMatchObject({ ok: true, problems: 0, warnings: 1 });
    expect(report.checks.find((check) => check.name === 'chat model')).toMatchObject({ status: 'warning', found: expect.stringContaining('no-such-model is not listed'), fix: expect.stringContaining('--model') });
  });

  it('colours the statuses only where colour is wanted (a terminal, FORCE_COLOR), never with NO_COLOR', async () => {
    const coloured = await doctor([], { FORCE_COLOR: '1' });
    expect(coloured.stdout).toContain('\u001b[32mok      \u001b[39m node');
    const plain = await doctor([], { FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout).toMatch(/^ok +node +Node\.js /m);
  });

  it('finds no SoX on a PATH without it: a problem with the install hint, for SoX and the microphone', async () => {
    const empty = join(home.root, 'bin');
    mkdirSync(empty);
    const result = await doctor([], { PATH: empty });
    expect(result.code).toBe(1);
    const lines = linesOf(result);
    expect(lines.get('sox')).toMatchObject({ status: 'problem', text: expect.stringContaining('SoX is not installed (no "sox" on PATH). Fix: Install SoX: Debian/Ubuntu: sudo apt install sox') });
    expect(lines.get('microphone')!.status).toBe('problem');
    expect(result.stdout).toMatch(/2 problems, 0 warnings\.\n$/);
  });

  it('calls a silent input a problem', async () => {
    const microphone = join(home.root, 'silence.wav');
    writeFileSync(microphone, encodeWav(silence(2000)));
    const result = await doctor(['--device', `wav:${microphone}`]);
    expect(result.code).toBe(1);
    expect(linesOf(result).get('microphone')).toMatchObject({ status: 'problem', text: expect.stringMatching(/is silent \(all zeros\): the input is muted or not connected\. Fix: choose the microphone with --device/) });
  });

  it('says the API cannot be reached when nothing listens there', async () => {
    const port = await closedPort();
    const result = await doctor([], { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });
    expect(result.code).toBe(1);
    const lines = linesOf(result);
    expect(lines.get('api')).toMatchObject({ status: 'problem', text: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)\. Fix: start the server/) });
    expect(lines.get('tts')!.status).toBe('problem');
    expect(lines.has('chat model')).toBe(false);
  });

  it('says the key was refused (401) without printing it', async () => {
    server.acceptedKey = 'sk-another-key';
    const result = await doctor();
    expect(result.code).toBe(1);
    const lines = linesOf(result);
    expect(lines.get('api')).toMatchObject({ status: 'problem', text: expect.stringContaining('refused the key (HTTP 401). Fix: OPENAI_API_KEY was refused: set a valid key') });
    expect(lines.get('tts')).toMatchObject({ status: 'problem', text: expect.stringContaining('refused the key for /audio/speech (HTTP 401)') });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${PLANTED_KEY}`);
    expectNoKey(result);
  });

  it('warns about a chosen model the server does not list, naming it, and still exits 0', async () => {
    const result = await doctor([], { ASSISTANT_TTS_MODEL: 'tts-missing' });
    expect(result.code).toBe(0);
    expect(linesOf(result).get('tts model')).toMatchObject({ status: 'warning', text: expect.stringContaining('tts-missing is not listed by') });
    expect(result.stdout).toMatch(/0 problems, 1 warning\.\n$/);
  });

  it('says so when the server has no speech endpoint (404, as Ollama) and suggests a local voice', async () => {
    server.defaultSpeech = { status: 404 };
    const result = await doctor();
    expect(linesOf(result).get('tts')).toMatchObject({ status: 'warning', text: expect.stringContaining('has no /audio/speech (HTTP 404). Fix: speak with a local engine (--tts espeak), point ASSISTANT_TTS_BASE_URL') });
  });

  it('bounds a check whose server never answers', async () => {
    server.defaultSpeech = { hang: true };
    const result = await doctor([], { TIMEOUT: '0.5' });
    expect(result.code).toBe(1);
    expect(linesOf(result).get('tts')).toMatchObject({ status: 'problem', text: expect.stringContaining('did not finish within 0.5 s') });
  });

  it('calls a store that cannot be opened a problem', async () => {
    const result = await doctor([], { DATABASE_URL: join(home.root, 'no-such-directory', 'assistant.db') });
    expect(result.code).toBe(1);
    expect(linesOf(result).get('store')).toMatchObject({ status: 'problem', text: expect.stringMatching(/cannot open the store: .*no-such-directory.*Fix: check DATABASE_URL/) });
  });

  it('warns about a .env others can read that holds a key, with chmod 600, and never prints the key', async () => {
    const project = join(home.root, 'project');
    mkdirSync(project);
    const dotenvKey = 'sk-dotenv-SECRET-0123456789';
    writeFileSync(join(project, '.env'), `OPENAI_API_KEY=${dotenvKey}\n`);
    chmodSync(join(project, '.env'), 0o644);
    const result = await doctor([], {}, project);
    expect(result.code).toBe(0);
    expect(linesOf(result).get('.env')).toMatchObject({ status: 'warning', text: `${join(project, '.env')} holds secrets and others can read it (mode 644). Fix: chmod 600 ${join(project, '.env')}` });
    expect(result.stdout + result.stderr).not.toContain(dotenvKey);
    expectNoKey(result);
  });
});

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
