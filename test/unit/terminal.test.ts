/** The Terminal as the one door for text: plain strings are untrusted, only Markup carries our styling. */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/ui/format.js';
import { Terminal, joinMarkup, markup, } from '../../src/ui/terminal.js';
import { CapturedOutput } from '../support/captured-output.js';

const ESC = '\u001b';
const HOSTILE = `${ESC}]0;title\u0007${ESC}[2J${ESC}]52;c;ZWNobyBwd25lZA==\u0007\u009b31m`;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const RED = new Chalk({ level: 1 }).red;

function terminal({ stdoutIsTTY = true, stderrIsTTY = true, color = true } = {}): { terminal: Terminal; stdout: CapturedOutput; stderr: CapturedOutput } {
  const stdout = new CapturedOutput(stdoutIsTTY);
  const stderr = new CapturedOutput(stderrIsTTY);
  const env = color ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' };
  return { terminal: new Terminal({ stdout, stderr, env }), stdout, stderr };
}

describe('stderr: every method neutralises what it is given, before styling it', () => {
  it.each([true, false])('on a terminal: %s', (isTTY) => {
    const { terminal: t, stderr } = terminal({ stderrIsTTY: isTTY });
    t.note(`Heard: lights${HOSTILE} on`);
    t.warn(`model${HOSTILE}`);
    t.error(`server said${HOSTILE}`);
    t.detail(`Error: x${HOSTILE}\n    at frame`);
    const lines = stderr.text.split('\n');
    expect(lines[0]).toBe('\u001b[2mHeard: lights on\u001b[22m');
    expect(lines[1]).toBe('\u001b[33mWarning:\u001b[39m model');
    expect(lines[2]).toBe('\u001b[31mError:\u001b[39m server said');
    expect(lines.slice(3)).toEqual(['Error: x', '    at frame', '']);
  });

  it('scrubs a secret even when escape sequences were put inside it', () => {
    const { terminal: t, stderr } = terminal();
    t.secrets = ['sk-secret-1234'];
    t.error(`echo sk-sec${ESC}[0mret-12${ESC}]0;x\u000734`);
    expect(stderr.text).toContain('echo [redacted]');
    expect(stderr.text).not.toContain('1234');
  });
});

describe('stdout: plain strings are untrusted; our styling comes only as Markup', () => {
  it('neutralises strings on a terminal and keeps Markup styling around untrusted values', () => {
    const { terminal: t, stdout } = terminal();
    const style = t.answerStyle;
    t.line(`preview${HOSTILE}`);
    t.line(markup`${style.cyan.bold('You:')} ${`lights${HOSTILE}`}`);
    t.write(style.green(`model${HOSTILE}`));
    expect(stdout.text).toBe('preview\n\u001b[36m\u001b[1mYou:\u001b[22m\u001b[39m lights\n\u001b[32mmodel\u001b[39m');
  });

  it('strips a styled string that did not come as Markup: forgetting costs a colour, never lets a sequence through', () => {
    const { terminal: t, stdout } = terminal();
    t.line(`${RED('ours')} and ${t.answerStyle.red('also ours')}`);
    expect(stdout.text).toBe('ours and also ours\n');
  });

  it('leaves everything raw when stdout is piped', () => {
    const { terminal: t, stdout } = terminal({ stdoutIsTTY: false, color: false });
    t.line(`preview${HOSTILE}`);
    t.line(markup`${t.answerStyle.bold('You:')} ${`lights${HOSTILE}`}`);
    expect(stdout.text).toBe(`preview${HOSTILE}\nYou: lights${HOSTILE}\n`);
  });

  it('writes --json as raw data that a terminal shows safely (C1 and DEL as \\u escapes)', () => {
    for (const isTTY of [true, false]) {
      const { terminal: t, stdout } = terminal({ stdoutIsTTY: isTTY });
      const value = { model: `x${HOSTILE}\u007f\u0085` };
      t.json(value);
      expect(stdout.text).not.toMatch(CONTROL);
      expect(JSON.parse(stdout.text)).toEqual(value);
    }
  });

  it('keeps a Markup\'s colours when it is used as a string (for the raw status line), neutralising what is inside', () => {
    const { terminal: t } = terminal();
    expect(`${t.style.red(`dot${HOSTILE}`)}`).toBe('\u001b[31mdot\u001b[39m');
    expect(`${joinMarkup([t.style.dim('a'), `b${HOSTILE}`], ' · ')}`).toBe('\u001b[2ma\u001b[22m · b');
  });
});

describe('formatTable', () => {
  it('neutralises cells, keeps styled cells, and pads by what is visible', () => {
    const { terminal: t, stdout } = terminal();
    t.line(formatTable(['MODEL', 'STATUS', 'N'], [[`evil${HOSTILE}`, t.answerStyle.red('timeout'), '1'], ['ok', '200', '12']], new Set([2])));
    expect(stdout.text).toBe(['MODEL  STATUS    N', 'evil   \u001b[31mtimeout\u001b[39m   1', 'ok     200      12', ''].join('\n'));
  });
});
