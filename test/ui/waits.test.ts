/** Waits say how long they have lasted: the elapsed time format, and talk's status line. */
import { describe, expect, it } from 'vitest';
import { formatElapsed } from '../../src/ui/format.js';
import { Terminal, } from '../../src/ui/terminal.js';
import { ProgressBar } from '../../src/ui/progress-bar.js';
import { StatusLine } from '../../src/voice/status-line.js';
import { CapturedOutput } from '../support/captured-output.js';

describe('elapsed time', () => {
  it('counts whole seconds, then minutes and seconds', () => {
    expect([0, 999, 12_400, 59_999, 65_000, 3_600_000].map(formatElapsed)).toEqual(['0s', '0s', '12s', '59s', '1m 05s', '60m 00s']);
  });
});

describe("talk's status line", () => {
  it('shows how long transcribing, thinking and speaking have lasted, not listening', () => {
    const stderr = new CapturedOutput(true);
    let now = 1_000;
    const status = new StatusLine(new Terminal({ stdout: new CapturedOutput(true), stderr, env: { NO_COLOR: '1' } }), () => now);
    const lines = (): string[] => stderr.text.split('\r\u001b[2K').filter((line) => line !== '');

    status.set('thinking');
    now += 12_000;
    status.set('thinking'); // the same wait: its time goes on
    status.set('transcribing'); // a new wait starts at 0
    status.set('listening');
    status.clear();

    expect(lines()).toEqual(['● thinking… 0s  Space/Enter to interrupt', '● thinking… 12s  Space/Enter to interrupt', '● transcribing… 0s  Space/Enter to interrupt', `● listening… ${'▕            ▏'}  Ctrl-C or Ctrl-D to end`]);
  });
});

describe('the progress bar of a long copy', () => {
  it('draws the bar, count, percentage and time at most ten times a second (always the last item), then goes', () => {
    const stderr = new CapturedOutput(true);
    let now = 0;
    const progress = new ProgressBar(new Terminal({ stdout: new CapturedOutput(true), stderr, env: { NO_COLOR: '1' } }), () => now);
    for (let done = 1; done <= 4; done += 1) {
      progress.update('sessions', done, 4);
      now += 60;
    }
    now = 2_500;
    progress.update('cache entries', 7);
    progress.done();
    expect(stderr.text.split('\r\u001b[2K')).toEqual([
      '',
      `Copying sessions ▕${'█'.repeat(6)}${' '.repeat(18)}▏ 1/4 25% · 0s`,
      `Copying sessions ▕${'█'.repeat(18)}${' '.repeat(6)}▏ 3/4 75% · 0s`,
      `Copying sessions ▕${'█'.repeat(24)}▏ 4/4 100% · 0s`,
      'Copying cache entries… 7 · 2s',
      '',
    ]);
  });

  it('draws nothing when stderr is not a terminal', () => {
    const stderr = new CapturedOutput(true);
    Object.defineProperty(stderr, 'isTTY', { value: false });
    const progress = new ProgressBar(new Terminal({ stdout: new CapturedOutput(true), stderr, env: {} }));
    progress.update('sessions', 1, 1);
    progress.done();
    expect(stderr.text).toBe('');
  });
});
