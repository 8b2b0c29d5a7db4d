/** The doctor's checks as functions: the time bound, and what they make of what they find. */
import { describe, expect, it } from 'vitest';
import type { Recorder } from '../../src/audio/recorder.js';
import { runBounded } from '../../src/doctor/check.js';
import { checkMicrophone } from '../../src/doctor/microphone.js';
import { checkNodeVersion } from '../../src/doctor/node-version.js';
import { checkSox } from '../../src/doctor/sox.js';
import { noise, silence, speechLike } from '../support/audio-fixtures.js';
import { FakeClock } from '../support/fake-clock.js';

const never = new AbortController().signal;

/** A recorder that gives these chunks, then ends as a file input does. */
function recorderOf(...chunks: Buffer[]): Recorder {
  return {
    live: false,
    async *record() {
      yield* chunks;
    },
  };
}

describe('doctor checks', () => {
  it('a check past its bound becomes a problem line, and its work is told to stop', async () => {
    const clock = new FakeClock(0);
    let stopped = false;
    const result = runBounded(
      {
        name: 'api',
        limitMilliseconds: 2_000,
        run: (signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              stopped = true;
              reject(new Error('aborted'));
            });
          }),
      },
      clock,
    );
    await clock.advance(1_999);
    expect(stopped).toBe(false);
    await clock.advance(1);
    expect(await result).toEqual([{ name: 'api', status: 'problem', found: 'did not finish within 2 s', fix: expect.any(String) }]);
    expect(stopped).toBe(true);
  });

  it('a check that throws becomes a problem line with its message', async () => {
    const result = await runBounded({ name: 'store', limitMilliseconds: 1_000, run: () => Promise.reject(new Error('disk on fire')) }, new FakeClock(0));
    expect(result).toEqual([{ name: 'store', status: 'problem', found: 'disk on fire' }]);
  });

  it('Node.js older than 20.12 is a problem', () => {
    expect(checkNodeVersion('18.19.0')).toMatchObject({ status: 'problem', found: 'Node.js 18.19.0 is too old (needs 20.12 or newer)' });
    expect(checkNodeVersion('20.11.1').status).toBe('problem');
    expect(checkNodeVersion('20.12.0').status).toBe('ok');
    expect(checkNodeVersion('22.1.0').status).toBe('ok');
  });

  it('a SoX without pulseaudio or alsa cannot record from a microphone: a warning naming the packages', async () => {
    const help = 'sox: SoX v14.4.2\n\nAUDIO FILE FORMATS: au wav raw\nAUDIO DEVICE DRIVERS: oss\n\nEFFECTS: gain\n';
    const result = await checkSox({ env: {}, findExecutable: () => '/usr/bin/sox', runCommand: async () => ({ code: 0, output: help }), signal: never });
    expect(result).toMatchObject({ status: 'warning', found: expect.stringContaining('drivers: oss; WAV yes: no pulseaudio or alsa driver'), fix: expect.stringContaining('libsox-fmt-pulse') });
  });

  it('the level of the second decides: silent, too quiet, or ok', async () => {
    expect(await checkMicrophone(recorderOf(silence(1000)), undefined, never)).toMatchObject({ status: 'problem', found: '1.0 s from the default input is silent (all zeros): the input is muted or not connected' });
    expect((await checkMicrophone(recorderOf(noise(1000, -95)), 'mic', never)).status).toBe('problem');
    expect(await checkMicrophone(recorderOf(noise(1000, -80)), 'mic', never)).toMatchObject({ status: 'warning', found: expect.stringMatching(/^1\.0 s from "mic", level -8\d dBFS: too quiet/) });
    expect(await checkMicrophone(recorderOf(speechLike(600), speechLike(600)), 'mic', never)).toMatchObject({ status: 'ok', found: expect.stringMatching(/^1\.0 s from "mic", level -2\d dBFS$/) });
    expect((await checkMicrophone(recorderOf(), 'mic', never)).found).toBe('"mic" gave no audio');
  });
});
