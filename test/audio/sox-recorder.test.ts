/**
 * SoxRecorder with a fake process launcher: the SoX command for each kind of device, and every
 * way a recording ends (stopped, failed, ran out, or a SoX that stops without an error), with
 * no sound card and no waiting: grace times run on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { SoxRecorder, type SoxRecorderOptions } from '../../src/audio/recorder.js';
import { RECORDING_END_GRACE_MILLISECONDS } from '../../src/audio/recording-process.js';
import { FakeClock, settle } from '../support/fake-clock.js';
import { FakeProcessLauncher } from '../support/fake-process-launcher.js';

const SOX_OUTPUT = ['-r', '16000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-t', 'raw', '-'];

function setUp(options: Omit<SoxRecorderOptions, 'runtime'> = {}) {
  const launcher = new FakeProcessLauncher();
  const clock = new FakeClock();
  const recorder = new SoxRecorder({ env: { PATH: '/usr/bin' }, ...options, runtime: { launcher, clock } });
  return { launcher, clock, recorder };
}

/** Reads the whole recording; the launch happens before this returns. */
function drain(recorder: SoxRecorder, signal = new AbortController().signal): { bytes: () => number; done: Promise<number> } {
  let bytes = 0;
  const done = (async () => {
    for await (const chunk of recorder.record({ signal })) bytes += chunk.length;
    return bytes;
  })();
  return { bytes: () => bytes, done };
}

describe('the SoX command', () => {
  it('the default input: -d, 16 kHz mono signed 16-bit raw PCM on stdout, small buffer', () => {
    const { launcher, recorder } = setUp();
    void drain(recorder, AbortSignal.abort()).done.catch(() => {});
    expect(launcher.last).toMatchObject({ kind: 'record', command: 'sox', args: ['--buffer', '640', '-q', '-V1', '-d', ...SOX_OUTPUT], detached: false });
    expect(launcher.last.env?.AUDIODEV).toBeUndefined();
  });

  it('"driver:name" becomes -t driver name', () => {
    const { launcher, recorder } = setUp({ device: 'pulseaudio:virtual_mic' });
    void drain(recorder, AbortSignal.abort()).done.catch(() => {});
    expect(launcher.last.args).toEqual(['--buffer', '640', '-q', '-V1', '-t', 'pulseaudio', 'virtual_mic', ...SOX_OUTPUT]);
  });

  it('a bare name goes to AUDIODEV, with the AUDIODRIVER of the environment kept', () => {
    const { launcher, recorder } = setUp({ device: 'virtual_mic', env: { PATH: '/usr/bin', AUDIODRIVER: 'pulseaudio' } });
    void drain(recorder, AbortSignal.abort()).done.catch(() => {});
    expect(launcher.last.args).toEqual(['--buffer', '640', '-q', '-V1', '-d', ...SOX_OUTPUT]);
    expect(launcher.last.env).toMatchObject({ AUDIODEV: 'virtual_mic', AUDIODRIVER: 'pulseaudio' });
  });

  it('a file (wav:questions.wav) is read by SoX and is not live', () => {
    const { launcher, recorder } = setUp({ device: 'wav:questions.wav', command: '/opt/sox/bin/sox' });
    void drain(recorder, AbortSignal.abort()).done.catch(() => {});
    expect(recorder.live).toBe(false);
    expect(launcher.last).toMatchObject({ command: '/opt/sox/bin/sox', args: ['--buffer', '640', '-q', '-V1', '-t', 'wav', 'questions.wav', ...SOX_OUTPUT] });
  });
});

describe('a missing SoX', () => {
  it('not on PATH: the install hint, before anything starts', () => {
    const { launcher, recorder } = setUp();
    launcher.installed.delete('sox');
    expect(() => recorder.checkAvailable()).toThrow(/^SoX is not installed \(no "sox" on PATH\)\. Install SoX: Debian\/Ubuntu: sudo apt install sox libsox-fmt-all;/);
    expect(launcher.launches).toEqual([]);
  });

  it('cannot be started (ENOENT): the install hint', async () => {
    const { launcher, recorder } = setUp();
    launcher.failNextLaunch('ENOENT');
    await expect(drain(recorder).done).rejects.toThrow(/^Cannot start SoX \(sox\): spawn sox ENOENT\. Install SoX: /);
  });
});

describe('how a recording ends', () => {
  it('yields what SoX writes; stopping (the signal) sends SIGTERM and ends without an error', async () => {
    const { launcher, recorder } = setUp();
    const stop = new AbortController();
    const recording = drain(recorder, stop.signal);
    const { child } = launcher.last;
    child.stdout.write(Buffer.alloc(640));
    child.stdout.write(Buffer.alloc(640));
    await settle();
    expect(recording.bytes()).toBe(1280);
    stop.abort();
    await expect(recording.done).resolves.toBe(1280);
    // Not a process group leader: the signal goes to SoX itself.
    expect(child.signals).toEqual(['SIGTERM']);
    expect(launcher.groupSignals).toEqual([]);
  });

  it('a SoX that ignores SIGTERM is killed after the grace time on the clock', async () => {
    const { launcher, clock, recorder } = setUp();
    const stop = new AbortController();
    const recording = drain(recorder, stop.signal);
    const { child } = launcher.last;
    child.ignoring.add('SIGTERM');
    stop.abort();
    await clock.advance(299);
    expect(child.signals).toEqual(['SIGTERM']);
    await clock.advance(1);
    await expect(recording.done).resolves.toBe(0);
    expect(child.signals).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('a live device whose SoX exits 0 by itself: an error that says so, with its stderr', async () => {
    const { launcher, recorder } = setUp({ device: 'pulseaudio:mic' });
    const recording = drain(recorder);
    const { child } = launcher.last;
    child.stdout.write(Buffer.alloc(640));
    child.stderr.write('sox WARN pulseaudio: stream ended\n');
    child.exit(0);
    await expect(recording.done).rejects.toThrow(/^Recording stopped: "pulseaudio:mic" ended the recording by itself \(sox WARN pulseaudio: stream ended\)\. Check the input device \(--device\)\.$/);
  });

  it('a file input ends normally when SoX has read it all', async () => {
    const { launcher, recorder } = setUp({ device: 'wav:questions.wav' });
    const recording = drain(recorder);
    launcher.last.child.stdout.write(Buffer.alloc(3200));
    launcher.last.child.exit(0);
    await expect(recording.done).resolves.toBe(3200);
  });

  it('SoX fails: its exit code and the tail of its stderr', async () => {
    const { launcher, recorder } = setUp();
    const recording = drain(recorder);
    launcher.last.child.stderr.write('sox FAIL sox: Sorry, there is no default audio device configured\n');
    launcher.last.child.exit(1);
    await expect(recording.done).rejects.toThrow(/^Recording failed: sox exited with code 1: sox FAIL sox: Sorry, there is no default audio device configured\. Check the input device \(--device\)\. Install SoX:/);
  });

  it('SoX killed by a signal is a failure', async () => {
    const { launcher, recorder } = setUp();
    const recording = drain(recorder);
    launcher.last.child.exit(null, 'SIGKILL');
    await expect(recording.done).rejects.toThrow(/^Recording failed: sox was killed by SIGKILL\./);
  });

  // Before: the recording waited for SoX's exit for ever, and talk with it.
  it('SoX closes its output but keeps running: after the grace time, an error (and SoX is stopped)', async () => {
    const { launcher, clock, recorder } = setUp();
    const recording = drain(recorder);
    const failing = expect(recording.done).rejects.toThrow(/^Recording stopped: the default input ended the recording by itself \(sox closed its output but did not exit\)\. Check the input device \(--device\)\.$/);
    const { child } = launcher.last;
    child.stdout.end();
    await clock.someoneSleeps();
    await clock.advance(RECORDING_END_GRACE_MILLISECONDS);
    await failing;
    expect(child.signals).toEqual(['SIGTERM']);
  }, 5000); // only how it fails, were it to hang

  // Before: the recording waited for the end of SoX's output for ever, and talk with it.
  it('SoX exits 0 but something it started holds its output open: once quiet for the grace time, the same error', async () => {
    const { launcher, clock, recorder } = setUp();
    const recording = drain(recorder);
    const failing = expect(recording.done).rejects.toThrow(/^Recording stopped: the default input ended the recording by itself\. Check the input device/);
    const { child } = launcher.last;
    child.exit(0, null, { keepOutputOpen: true });
    await clock.advance(RECORDING_END_GRACE_MILLISECONDS - 1);
    // Audio still in the pipe is read: the grace time starts again.
    child.stdout.write(Buffer.alloc(640));
    await clock.advance(RECORDING_END_GRACE_MILLISECONDS - 1);
    expect(recording.bytes()).toBe(640);
    await clock.advance(RECORDING_END_GRACE_MILLISECONDS);
    await failing;
  }, 5000); // only how it fails, were it to hang
});
