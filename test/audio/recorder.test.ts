/**
 * SoxRecorder with a stand-in for SoX (a shell script that streams zeros), so the recording
 * can run as long as a test needs without a sound card. The built module is used: the
 * recorder hands node-record-lpcm16 the compiled command-recorder.cjs next to it.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';

const { SoxRecorder } = (await import(pathToFileURL(resolve(import.meta.dirname, '../../dist/audio/recorder.js')).href)) as typeof import('../../src/audio/recorder.js');

// A full collection on demand: whether a chunk can still be reached is then a fact, not a guess.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const directory = mkdtempSync(join(tmpdir(), 'assistant-recorder-'));
const fakeSox = join(directory, 'sox');
writeFileSync(fakeSox, '#!/bin/sh\n[ "$1" = "--version" ] && exit 0\nexec cat /dev/zero\n');
chmodSync(fakeSox, 0o755);
// A device that delivers some audio, then fails the way SoX does: a message on stderr, a non-zero exit.
const failingSox = join(directory, 'failing-sox');
writeFileSync(failingSox, '#!/bin/sh\n[ "$1" = "--version" ] && exit 0\nhead -c 64000 /dev/zero\necho "sox FAIL: device vanished" >&2\nexit 2\n');
chmodSync(failingSox, 0o755);
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('SoxRecorder', () => {
  it('keeps no chunk it has handed out while the recording goes on (a session must not keep all its audio)', async () => {
    const stop = new AbortController();
    const handedOut: Array<WeakRef<Buffer>> = [];
    let stillReachable = 0;
    for await (const chunk of new SoxRecorder({ command: fakeSox }).record({ signal: stop.signal })) {
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

  it('ends with one clear error, naming the device, when SoX fails after delivering audio', async () => {
    let received = 0;
    const recording = (async () => {
      for await (const chunk of new SoxRecorder({ command: failingSox }).record({ signal: new AbortController().signal })) received += chunk.length;
    })();
    await expect(recording).rejects.toThrow(/^Recording failed: .*exited with error code 2\..*sox FAIL: device vanished Check the input device \(--device\)\./s);
    expect(received).toBe(64_000);
  });
});
