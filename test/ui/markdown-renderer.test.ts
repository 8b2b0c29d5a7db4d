/** Markdown answers drawn for a terminal as they stream: what is shown, in any chunking, and nothing hostile. */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { MarkdownRenderer } from '../../src/ui/markdown-renderer.js';
import { Terminal, } from '../../src/ui/terminal.js';
import { CapturedOutput } from '../support/captured-output.js';

const ESC = '\u001b';
const SGR = /\u001b\[[0-9;]*m/g;
const COLOURS = new Chalk({ level: 1 });
const PLAIN = new Chalk({ level: 0 });

const ANSWER = [
  '# Title',
  '',
  'Some **bold**, *italic*, `code`, snake_case_name, 2 * 3, src/*.ts and a \\*star\\*.',
  '- item one',
  '  * nested',
  '1. first [the docs](https://example.com/docs) and [not a link] here',
  '> a quote',
  '---',
  '```ts',
  'const answer = 42; // why',
  'return "text";',
  '```',
  'The end.',
].join('\n');

function render(chunks: readonly string[], chalk = COLOURS, columns = 40): { output: string; pieces: string[] } {
  const renderer = new MarkdownRenderer({ chalk, columns });
  const pieces = chunks.map((chunk) => renderer.push(chunk));
  pieces.push(renderer.flush());
  return { output: pieces.join(''), pieces };
}

const visible = (text: string): string => text.replace(SGR, '');

/** The answer cut into pieces of `size` characters, as a stream delivers it. */
function chunked(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let index = 0; index < text.length; index += size) chunks.push(text.slice(index, index + size));
  return chunks;
}

describe('markdown on a terminal', () => {
  it('draws headings, emphasis, code, lists, links, quotes, rules and highlighted code', () => {
    const { output } = render([ANSWER]);
    expect(output.split('\n')).toEqual([
      `${ESC}[1m${ESC}[4mTitle${ESC}[24m${ESC}[22m`,
      '',
      `Some ${ESC}[1mbold${ESC}[22m, ${ESC}[3mitalic${ESC}[23m, ${ESC}[36mcode${ESC}[39m, snake_case_name, 2 * 3, src/*.ts and a *star*.`,
      `${ESC}[2m•${ESC}[22m item one`,
      `  ${ESC}[2m•${ESC}[22m nested`,
      `${ESC}[2m1.${ESC}[22m first ${ESC}[4mthe docs${ESC}[24m ${ESC}[2m(https://example.com/docs)${ESC}[22m and [not a link] here`,
      `${ESC}[2m│${ESC}[22m ${ESC}[3ma quote${ESC}[23m`,
      `${ESC}[2m${'─'.repeat(40)}${ESC}[22m`,
      `${ESC}[2m\`\`\`ts${ESC}[22m`,
      `${ESC}[35mconst${ESC}[39m answer = ${ESC}[33m42${ESC}[39m; ${ESC}[90m// why${ESC}[39m`,
      `${ESC}[35mreturn${ESC}[39m ${ESC}[32m"text"${ESC}[39m;`,
      `${ESC}[2m\`\`\`${ESC}[22m`,
      'The end.',
    ]);
  });

  it('shows the same text however the stream is cut, and never prints anything twice', () => {
    const whole = visible(render([ANSWER]).output);
    for (const size of [1, 2, 3, 5, 7, 13]) expect(visible(render(chunked(ANSWER, size)).output)).toBe(whole);
  });

  it('prints a line as it arrives, holding back only what it cannot decide yet', () => {
    const { pieces } = render(['Some **bo', 'ld** and [a li', 'nk](https://x.org) then', ' more']);
    expect(pieces.map(visible)).toEqual(['Some bo', 'ld and ', 'a link (https://x.org) then', ' more', '']);
    // The start of a line waits only until its kind is known: "- " is a bullet at once.
    expect(render(['- it', 'em']).pieces.map(visible)).toEqual(['• it', 'em', '']);
    expect(render(['2024', ' was']).pieces.map(visible)).toEqual(['', '2024 was', '']);
  });

  it('closes every style when the answer stops in the middle (Ctrl-C): the terminal is not left bold', () => {
    const { output } = render(['# Heading in **bo']);
    expect(output.endsWith(`${ESC}[22m`)).toBe(true);
    expect(visible(output)).toBe('Heading in bo');
    expect(visible(render(['see [the do']).output)).toBe('see [the do');
  });

  it('brackets that never make a link are shown as they are, and do not carry over to the next line', () => {
    const brackets = `${'['.repeat(1200)}] not (a link`;
    const { output } = render([...chunked(`${brackets}\n**next**`, 7)]);
    expect(visible(output)).toBe(`${brackets}\nnext`);
    expect(output.split('\n')[1]).toMatch(/^(\u001b\[1m[a-z]+\u001b\[22m)+$/);
  });

  it('with NO_COLOR: no escape sequence, the layout stays (bullets, heading marks, backticks, links)', () => {
    const { output } = render([ANSWER], PLAIN);
    expect(output).not.toContain(ESC);
    expect(output).toContain('# Title\n');
    expect(output).toContain('• item one');
    expect(output).toContain('`code`');
    expect(output).toContain('the docs (https://example.com/docs)');
    expect(output).toContain('const answer = 42; // why');
  });
});

/** Nothing but colours (SGR): no OSC, no cursor movement, no screen clear, no BEL, no C1. */
function expectOnlyColours(output: string): void {
  expect(output.replace(SGR, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
}

describe('Terminal answers: sanitized, then drawn', () => {
  const HOSTILE = `${ESC}]0;pwned\u0007${ESC}[2J${ESC}]52;c;ZWNobyBwd25lZA==\u0007\u009b31m`;

  it('an escape sequence in a heading or a code block never reaches the terminal', async () => {
    const stdout = new CapturedOutput(true);
    const terminal = new Terminal({ stdout, stderr: new CapturedOutput(true), env: { FORCE_COLOR: '1' } });
    await terminal.renderAnswersAsMarkdown();
    const answer = terminal.untrustedWriter();
    for (const chunk of chunked(`# Evil${HOSTILE} title\n\`\`\`sh\necho ${HOSTILE}done\n\`\`\`\n**${ESC}[31mred**`, 4)) answer.write(chunk);
    answer.end();
    expectOnlyColours(stdout.text);
    expect(visible(stdout.text)).toBe('Evil title\n```sh\necho done\n```\nred');
    expect(stdout.text).toContain(`${ESC}[1m${ESC}[4mEv`);
    expect(stdout.text).toContain(`${ESC}[35mecho${ESC}[39m`);
  });

  it('piped, the answer is written exactly as it came (markdown and all)', async () => {
    const stdout = new CapturedOutput(false);
    const terminal = new Terminal({ stdout, stderr: new CapturedOutput(false), env: {} });
    await terminal.renderAnswersAsMarkdown();
    const answer = terminal.untrustedWriter();
    answer.write('# Title\n**bold**');
    answer.end();
    expect(stdout.text).toBe('# Title\n**bold**');
  });
});
