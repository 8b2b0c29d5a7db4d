/**
 * runProgram on real processes (sh, sleep) with a clock the test moves: a program that runs past
 * its time is stopped with everything it started and named in the error; one that exits while
 * something it started still holds its output is not waited for (nor called too slow).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { realLauncher } from '../../src/audio/process-launcher.js';
import { systemClock } from '../../src/clock.js';
import { runProgram } from '../../src/speech/run-program.js';
import { FakeClock } from '../support/fake-clock.js';
import { isRunning } from '../support/processes.js';
import { waitUntil } from '../support/wait-for.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-run-program-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

/** sh running `script`, which writes the pid of its background sleep to a file first. */
function shell(script: string): { pidFile: string; run: Parameters<typeof runProgram>[0]; sleeper: () => number } {
  const pidFile = join(directory, 'sleeper.pid');
  return {
    pidFile,
    run: { executable: '/bin/sh', args: ['-c', `sleep 60 & echo $! > '${pidFile}'; ${script}`], env: process.env, label: '--stt-command', timeoutMilliseconds: 10_000 },
    sleeper: () => {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(pid).toBeGreaterThan(0);
      return pid;
    },
  };
}

describe('runProgram', () => {
  it('stops a program that runs past its time, with what it started, and says how long it had', async () => {
    const clock = new FakeClock();
    const { pidFile, run, sleeper } = shell('wait');
    const result = runProgram(run, { launcher: realLauncher, clock }).then(
      () => 'finished',
      (error: Error) => error.message,
    );
    await clock.someoneSleeps();
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the program to start its sleep');
    await clock.advance(10_000);
    // The SIGKILL after the grace time, should SIGTERM not do.
    await clock.advance(200);
    expect(await result).toBe('--stt-command ran for 10 s without finishing, so it was stopped (a local speech program gets 4 × TIMEOUT). Check the command, or raise TIMEOUT (seconds) for a slow engine.');
    // Killed (SIGKILL is delivered a moment later): never left running, as a sleep of 60 s would be.
    await waitUntil(() => !isRunning(sleeper()), 'the sleep it started to be killed');
  });

  it('a program that floods its output is stopped at 32 MB, not left to fill the memory until its time is up', async () => {
    const { pidFile, run, sleeper } = shell('yes');
    const message = await runProgram({ ...run, timeoutMilliseconds: 600_000 }, { launcher: realLauncher, clock: systemClock }).then(
      () => 'finished',
      (error: Error) => error.message,
    );
    expect(message).toBe('--stt-command wrote more than 32 MB on stdout, so it was stopped: it should write one WAV or one transcript. Check the command.');
    expect(existsSync(pidFile)).toBe(true);
    await waitUntil(() => !isRunning(sleeper()), 'the sleep it started to be killed');
  });

  it('a program that exits while what it started holds its output: its output, without waiting for that, and it is gone', async () => {
    const { run, sleeper } = shell('echo heard; exit 0');
    // The real clock: one second of grace after the exit, far inside the 60 s the sleep would hold the pipe.
    expect((await runProgram(run, { launcher: realLauncher, clock: systemClock })).toString()).toBe('heard\n');
    // Killed (SIGKILL is delivered a moment later): never left running, as a sleep of 60 s would be.
    await waitUntil(() => !isRunning(sleeper()), 'the sleep it started to be killed');
  });
});
