/** SoxRecorder's endings, with a stand-in `sox` script: a device that stops, a file that runs out, a failure, a stop. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import type { SoxRecorder as SoxRecorderClass } from '../../src/audio/recorder.js';

// The built module (npm run build): SoX is started through dist/audio/command-recorder.cjs, compiled from a .cts file.
const built: string = '../../dist/audio/recorder.js';
const { SoxRecorder } = (await import(built)) as typeof import('../../src/audio/recorder.js');
type SoxRecorder = SoxRecorderClass;

const directory = mkdtempSync(join(tmpdir(), 'assistant-recorder-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A `sox` that prints 32000 bytes of silence (or streams for ever), says `stderr`, and exits with `code`. */
function fakeSox(name: string, { code = 0, stderr = '', forever = false } = {}): string {
  const path = join(directory, name);
  const body = forever ? 'exec cat /dev/zero' : `head -c 32000 /dev/zero\n${stderr ? `echo '${stderr}' >&2\n` : ''}exit ${code}`;
  writeFileSync(path, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo 'sox: SoX v14.4.2'; exit 0; fi\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function drain(recorder: SoxRecorder, signal = new AbortController().signal): Promise<number> {
  let bytes = 0;
  for await (const chunk of recorder.record({ signal })) bytes += chunk.length;
  return bytes;
}

describe('SoxRecorder endings', () => {
  it('a live device that ends the recording by itself is an error that says so', async () => {
    const recorder = new SoxRecorder({ command: fakeSox('ends') });
    expect(recorder.live).toBe(true);
    await expect(drain(recorder)).rejects.toThrow(/^Recording stopped: the default input ended the recording by itself\. Check the input device \(--device\)\.$/);
    const named = new SoxRecorder({ command: fakeSox('ends'), device: 'pulseaudio:mic' });
    await expect(drain(named)).rejects.toThrow(/"pulseaudio:mic" ended the recording by itself/);
  });

  it('a file input (wav:<file>) ends normally when it runs out', async () => {
    const recorder = new SoxRecorder({ command: fakeSox('ends'), device: 'wav:/tmp/questions.wav' });
    expect(recorder.live).toBe(false);
    expect(await drain(recorder)).toBe(32000);
  });

  it('a failing SoX: its exit code and the tail of its stderr', async () => {
    const recorder = new SoxRecorder({ command: fakeSox('fails', { code: 2, stderr: 'sox FAIL formats: cannot open input file nope.wav' }), device: 'wav:nope.wav' });
    await expect(drain(recorder)).rejects.toThrow(/^Recording failed: \S+ exited with code 2: sox FAIL formats: cannot open input file nope\.wav\. Check the input device/);
  });

  it('stopping (the signal) ends the recording without an error', async () => {
    const controller = new AbortController();
    let bytes = 0;
    for await (const chunk of new SoxRecorder({ command: fakeSox('forever', { forever: true }) }).record({ signal: controller.signal })) {
      bytes += chunk.length;
      controller.abort();
    }
    expect(bytes).toBeGreaterThan(0);
  });
});

// A full collection on demand: whether a chunk can still be reached is then a fact, not a guess.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('SoxRecorder memory', () => {
  it('keeps no chunk it has handed out while the recording goes on (a session must not keep all its audio)', async () => {
    const stop = new AbortController();
    const handedOut: Array<WeakRef<Buffer>> = [];
    let stillReachable = 0;
    for await (const chunk of new SoxRecorder({ command: fakeSox('streams', { forever: true }) }).record({ signal: stop.signal })) {
      handedOut.push(new WeakRef(chunk));
      if (handedOut.length < 200) continue;
      // The recording is still going, as in a talk session between turns: nothing of it has been stopped yet.
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      stillReachable = handedOut.filter((handed) => handed.deref() !== undefined).length;
      break;
    }
    stop.abort();
    expect(handedOut).toHaveLength(200);
    expect(stillReachable).toBeLessThanOrEqual(2);
  });
});
