/** The players with a fake process launcher: their arguments, failures and stopping, with no sound card. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPlayer } from '../../src/audio/player.js';
import type { ProcessRuntime } from '../../src/audio/process-launcher.js';
import { parseWavHeader, type PcmFormat } from '../../src/audio/wav.js';
import { FakeClock, settle } from '../support/fake-clock.js';
import { FakeProcessLauncher } from '../support/fake-process-launcher.js';

const FORMAT: PcmFormat = { sampleRate: 24_000, channels: 1, bitsPerSample: 16 };

function runtime(): ProcessRuntime & { launcher: FakeProcessLauncher; clock: FakeClock } {
  return { launcher: new FakeProcessLauncher(), clock: new FakeClock() };
}

describe('streaming players: the exact command for raw 16-bit PCM on stdin', () => {
  const expected: Record<string, string[]> = {
    play: ['-q', '-V1', '-t', 'raw', '-r', '24000', '-e', 'signed-integer', '-b', '16', '-c', '1', '-'],
    aplay: ['-q', '-t', 'raw', '-f', 'S16_LE', '-r', '24000', '-c', '1'],
    paplay: ['--raw', '--format=s16le', '--rate=24000', '--channels=1'],
    pacat: ['--playback', '--raw', '--format=s16le', '--rate=24000', '--channels=1'],
    ffplay: ['-nodisp', '-autoexit', '-loglevel', 'error', '-f', 's16le', '-ar', '24000', '-ch_layout', 'mono', '-i', '-'],
  };
  for (const [name, args] of Object.entries(expected)) {
    it(name, () => {
      const { launcher, clock } = runtime();
      const env = { PATH: '/usr/bin', PULSE_SINK: 'speaker' };
      createPlayer(name, { env, runtime: { launcher, clock } }).open(FORMAT);
      expect(launcher.last).toMatchObject({ kind: 'spawn', command: `/usr/bin/${name}`, args, env, detached: true });
    });
  }

  it('stereo and extra arguments (extra ones first)', () => {
    const { launcher, clock } = runtime();
    createPlayer('ffplay', { runtime: { launcher, clock }, extraArguments: ['-volume', '50'] }).open({ ...FORMAT, channels: 2 });
    expect(launcher.last.args.slice(0, 2)).toEqual(['-volume', '50']);
    expect(launcher.last.args).toContain('stereo');
  });
});

describe('a streaming player at work', () => {
  it('gets the PCM on stdin, and finish() resolves when it has played it and exited 0', async () => {
    const { launcher, clock } = runtime();
    const sink = createPlayer('paplay', { runtime: { launcher, clock } }).open(FORMAT);
    const { child } = launcher.last;
    await sink.write(Buffer.from('first '));
    await sink.write(Buffer.from('second'));
    const finished = sink.finish();
    await settle();
    expect(child.stdinEnded).toBe(true);
    expect(child.input.toString()).toBe('first second');
    child.exit(0);
    await expect(finished).resolves.toBeUndefined();
  });

  it('not installed: the install hint and how to go on without speech', () => {
    const { launcher, clock } = runtime();
    expect(() => createPlayer('mplayer', { runtime: { launcher, clock }, withoutSpeech: 'use --mute' })).toThrow(
      /^The audio player "mplayer" is not installed\. Install one: .*sudo apt install sox \(play\) or pulseaudio-utils \(paplay\).* Or use --mute\.$/,
    );
    expect(launcher.launches).toEqual([]);
  });

  it('a program that cannot be started (ENOENT): the install hint', async () => {
    const { launcher, clock } = runtime();
    launcher.failNextLaunch('ENOENT');
    const sink = createPlayer('play', { runtime: { launcher, clock }, withoutSpeech: 'leave out --speak' }).open(FORMAT);
    await settle();
    await expect(sink.write(Buffer.alloc(4))).rejects.toThrow(/^Cannot start the audio player \/usr\/bin\/play: spawn \/usr\/bin\/play ENOENT\. Install one: .* Or leave out --speak\.$/);
  });

  it('exits non-zero: the error has the exit code and the tail of its stderr', async () => {
    const { launcher, clock } = runtime();
    const sink = createPlayer('paplay', { runtime: { launcher, clock }, withoutSpeech: 'use --mute' }).open(FORMAT);
    const { child } = launcher.last;
    await sink.write(Buffer.alloc(8));
    const finished = sink.finish();
    child.stderr.write('x'.repeat(1000) + '\nConnection failure:\n  Connection refused\n');
    child.exit(1);
    await expect(finished).rejects.toThrow(/^The audio player \/usr\/bin\/paplay exited with code 1: x+ Connection failure: Connection refused\. Is a sound server running\? Choose another with --player, or use --mute\.$/);
    await expect(finished).rejects.toThrow(/: x{300,400} Connection/); // only the tail
  });

  it('killed by a signal is a failure, not success', async () => {
    const { launcher, clock } = runtime();
    const sink = createPlayer('play', { runtime: { launcher, clock } }).open(FORMAT);
    await sink.write(Buffer.alloc(8));
    const finished = sink.finish();
    launcher.last.child.exit(null, 'SIGFPE');
    await expect(finished).rejects.toThrow(/^The audio player \/usr\/bin\/play was killed by SIGFPE\./);
  });

  it('a write after the player died fails with its exit', async () => {
    const { launcher, clock } = runtime();
    const sink = createPlayer('aplay', { runtime: { launcher, clock } }).open(FORMAT);
    launcher.last.child.exit(2);
    await settle();
    await expect(sink.write(Buffer.alloc(8))).rejects.toThrow(/exited with code 2/);
  });

  it('stop(): SIGTERM to its process group, then SIGKILL to the group once it has exited', async () => {
    const { launcher, clock } = runtime();
    const sink = createPlayer('play', { runtime: { launcher, clock } }).open(FORMAT);
    const { child } = launcher.last;
    await sink.stop();
    expect(launcher.groupSignals).toEqual([
      { pid: child.pid, signal: 'SIGTERM' },
      { pid: child.pid, signal: 'SIGKILL' },
    ]);
    expect(child.signalCode).toBe('SIGTERM');
    expect(clock.sleeping).toBe(0);
  });

  it('stop() on a player that ignores SIGTERM: SIGKILL after the grace time of the clock, no real wait', async () => {
    const { launcher, clock } = runtime();
    const sink = createPlayer('play', { runtime: { launcher, clock } }).open(FORMAT);
    const { child } = launcher.last;
    child.ignoring.add('SIGTERM');
    let stopped = false;
    const stopping = sink.stop().then(() => (stopped = true));
    await clock.advance(199);
    expect(stopped).toBe(false);
    expect(child.signals).toEqual(['SIGTERM']);
    await clock.advance(1);
    await stopping;
    expect(child.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(child.signalCode).toBe('SIGKILL');
  });

  it('a player that hangs after its input ended is stopped after the length of the audio plus 10 s', async () => {
    const { launcher, clock } = runtime();
    const sink = createPlayer('play', { runtime: { launcher, clock } }).open(FORMAT);
    const { child } = launcher.last;
    await sink.write(Buffer.alloc(2 * 24_000 * 2)); // 2 s of audio
    const failing = expect(sink.finish()).rejects.toThrow(/was killed by SIGTERM/);
    await clock.advance(11_999);
    expect(child.signals).toEqual([]);
    await clock.advance(1);
    expect(child.signals).toEqual(['SIGTERM']);
    await failing;
  });
});

/** A file player (afplay) that has been given one clip and is playing it. */
async function playingOneClip(withoutSpeech?: string) {
  const { launcher, clock } = runtime();
  const sink = createPlayer('afplay', { runtime: { launcher, clock }, ...(withoutSpeech ? { withoutSpeech } : {}) }).open(FORMAT);
  await sink.write(Buffer.alloc(480));
  const ending = sink.endClip();
  ending.catch(() => {}); // each test awaits it
  await settle();
  return { launcher, sink, ending, launch: launcher.last };
}

describe('file players (through play-sound)', () => {
  it('each clip is a WAV file given to the player, which runs in its own process group; files are removed after', async () => {
    const { sink, ending, launch } = await playingOneClip();
    expect(launch).toMatchObject({ kind: 'playFile', command: '/usr/bin/afplay', detached: true });
    const file = launch.args[0]!;
    expect(parseWavHeader(readFileSync(file))).toEqual({ format: FORMAT, dataOffset: 44 });
    launch.child.exit(0);
    await ending;
    await sink.finish();
    expect(existsSync(file)).toBe(false);
  });

  it('killed by a signal is a failure (play-sound itself would call it success)', async () => {
    const { ending, launch } = await playingOneClip('use --mute');
    launch.child.exit(null, 'SIGSEGV');
    await expect(ending).rejects.toThrow(/^The audio player \/usr\/bin\/afplay was killed by SIGSEGV\. .*or use --mute\.$/);
  });

  it('exits non-zero: a failure with its code', async () => {
    const { ending, launch } = await playingOneClip();
    launch.child.exit(3);
    await expect(ending).rejects.toThrow(/^The audio player \/usr\/bin\/afplay exited with code 3\./);
  });

  it('cannot be started: the install hint', async () => {
    const { launcher, clock } = runtime();
    launcher.failNextLaunch('EACCES');
    const sink = createPlayer('afplay', { runtime: { launcher, clock } }).open(FORMAT);
    await sink.write(Buffer.alloc(480));
    await expect(sink.endClip()).rejects.toThrow(/^Cannot start the audio player \/usr\/bin\/afplay: spawn \/usr\/bin\/afplay EACCES\. Install one:/);
  });

  it('stop() while a clip plays stops its process group and is not a failure', async () => {
    const { launcher, sink, ending } = await playingOneClip();
    await sink.stop();
    await expect(ending).resolves.toBeUndefined();
    expect(launcher.groupSignals.map((sent) => sent.signal)).toEqual(['SIGTERM', 'SIGKILL']);
  });
});
