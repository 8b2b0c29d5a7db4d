/**
 * What a person sees on a terminal: answers drawn as markdown (raw with --raw and when piped),
 * and waits that say what they wait for and for how long. The CLI runs in a pseudo-terminal
 * (`script`), where stdout and stderr arrive merged, as on a screen.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { silence, speechLike } from '../support/audio-fixtures.js';
import { TEST_STORE, collect, type TempHome } from '../support/cli.js';
import { useCliHarness } from '../support/harness.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { runInTerminal, startInTerminal } from '../support/script-terminal.js';
import { TmuxTerminal, tmuxMissing } from '../support/tmux.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const ESC = '\u001b';
const SGR = /\u001b\[[0-9;]*m/g;
const ANSWER = ['# Plan', '', 'Use **bold** words and `npm test`.', '- see [the guide](https://example.com/guide)', '```js', 'const x = 1;', '```', 'Done.'].join('\n');
const HOSTILE = `${ESC}]0;pwned\u0007${ESC}[2J${ESC}]52;c;ZWNobyBwd25lZA==\u0007\u009b31m`;
/** Our own sequences: colours, and the spinner's cursor and line handling. */
const OURS = /\u001b\[(?:[0-9;]*m|\?(?:25|2026)[hl]|[0-9]*[GKA])/g;

function expectOnlyOurSequences(output: string): void {
  expect(output.replace(OURS, '')).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
}

describe('ask on a terminal draws the answer as markdown', () => {
  it('headings, emphasis, inline code, bullets, links as text + URL and highlighted code, as it streams', async () => {
    server.enqueue({ text: ANSWER, chunkDelayMs: 5 });
    const result = await runInTerminal(home, ['ask', 'plan']);
    expect(result.code).toBe(0);
    // A style cut by chunks is closed and opened again at each chunk: join those runs back.
    const output = result.stdout.replace(/\u001b\[22m\u001b\[1m|\u001b\[23m\u001b\[3m|\u001b\[24m\u001b\[4m|\u001b\[39m\u001b\[36m/g, '');
    expect(output).toContain(`${ESC}[1m${ESC}[4mPlan${ESC}[24m${ESC}[22m\r\n`);
    expect(output).toContain(`Use ${ESC}[1mbold${ESC}[22m words and ${ESC}[36mnpm test${ESC}[39m.\r\n`);
    expect(output).toContain(`${ESC}[2m•${ESC}[22m see ${ESC}[4mthe guide${ESC}[24m ${ESC}[2m(https://example.com/guide)${ESC}[22m`);
    expect(output).toContain(`${ESC}[35mconst${ESC}[39m x = ${ESC}[33m1${ESC}[39m;`);
    expect(output.replace(SGR, '')).not.toMatch(/\*\*|# Plan|\]\(/);
  });

  it('--raw prints the answer as the model wrote it', async () => {
    server.enqueue({ text: ANSWER });
    const result = await runInTerminal(home, ['ask', '--raw', 'plan']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(ANSWER.replaceAll('\n', '\r\n'));
  });

  it('piped, the answer is exactly the text (no colours, no bullets)', async () => {
    server.enqueue({ text: ANSWER });
    const result = await home.run(['ask', 'plan']);
    expect(result.stdout).toBe(`${ANSWER}\n`);
  });

  it('the renderer is loaded only on a terminal (a piped or --raw ask never loads it)', async () => {
    const hook = resolve(import.meta.dirname, '../support/module-trace.mjs');
    const rendererLoaded = async (run: (env: Record<string, string>) => Promise<{ code: number | null }>, name: string): Promise<boolean> => {
      const trace = join(home.root, `trace-${name}.txt`);
      server.enqueue({ text: ANSWER });
      expect((await run({ NODE_OPTIONS: `--import ${hook}`, ASSISTANT_TEST_MODULE_TRACE: trace })).code).toBe(0);
      return readFileSync(trace, 'utf8').includes('/dist/ui/markdown-renderer.js');
    };
    expect(await rendererLoaded((env) => home.run(['ask', 'plan'], { env }), 'piped')).toBe(false);
    expect(await rendererLoaded((env) => runInTerminal(home, ['ask', '--raw', 'plan'], env), 'raw')).toBe(false);
    expect(await rendererLoaded((env) => runInTerminal(home, ['ask', 'plan'], env), 'terminal')).toBe(true);
  });

  it('NO_COLOR: no colour, the layout stays', async () => {
    server.enqueue({ text: ANSWER });
    const result = await runInTerminal(home, ['ask', 'plan'], { NO_COLOR: '1' });
    expect(result.stdout).not.toMatch(SGR);
    expect(result.stdout).toContain('• see the guide (https://example.com/guide)\r\n');
  });

  it('an escape sequence in a heading or a code block is neutralised before drawing', async () => {
    server.enqueue({ text: `# Title${HOSTILE} here\n\`\`\`sh\necho ${HOSTILE}hi\n\`\`\`\n`, chunkDelayMs: 2 });
    const result = await runInTerminal(home, ['ask', 'hello']);
    expect(result.code).toBe(0);
    expectOnlyOurSequences(result.stdout);
    expect(result.stdout.replace(SGR, '')).toContain('Title here\r\n```sh\r\necho hi\r\n```');
  });
});

describe('talk on a terminal', () => {
  /** One spoken turn from a file: the transcript is echoed back as the answer; returns what the terminal showed. */
  async function oneTurn(args: string[], transcript: string): Promise<string> {
    const memo = join(home.root, 'memo.wav');
    writeFileSync(memo, encodeWav(Buffer.concat([silence(300), speechLike(1200), silence(300)])));
    server.defaultTranscript = { text: transcript };
    const result = await runInTerminal(home, ['talk', '--device', `wav:${memo}`, '--mute', ...args]);
    expect(result.code, result.stdout).toBe(0);
    return result.stdout;
  }

  it('draws the answer as markdown, or raw with --raw', async () => {
    const drawn = await oneTurn([], 'turn **on** the lights');
    expect(drawn).toMatch(/Assistant:(\u001b\[[0-9;]*m)+ You said: turn \u001b\[1mon\u001b\[22m the lights/);
    // The status line said what it waited for, and for how long.
    expect(drawn).toMatch(/thinking…(\u001b\[[0-9;]*m)* (\u001b\[[0-9;]*m)*\d+s/);
    const raw = await oneTurn(['--raw'], 'turn **on** the lights');
    expect(raw).toMatch(/Assistant:(\u001b\[[0-9;]*m)+ You said: turn \*\*on\*\* the lights/);
  });
});

describe.skipIf(tmuxMissing('terminal-markdown'))('chat on a terminal', () => {
  /** The screen after one typed message, as the person sees it. */
  async function screenAfter(args: string[]): Promise<string> {
    const terminal = await TmuxTerminal.start(home, ['chat', ...args]);
    try {
      await terminal.waitFor(/You:\s*$/);
      await terminal.type('use **this** one');
      await terminal.press('Enter');
      return await terminal.waitFor(/Assistant: You said: use .*\nYou:/);
    } finally {
      await terminal.close();
    }
  }

  it('draws the answer as markdown, or raw with --raw', async () => {
    expect(await screenAfter([])).toContain('Assistant: You said: use this one\n');
    expect(await screenAfter(['--raw'])).toContain('Assistant: You said: use **this** one\n');
  });
});

describe('waits say what they wait for, and for how long', () => {
  it('ask: "Thinking…" with the seconds waited, then "Speaking…" on a line below the answer while --speak finishes', async () => {
    // A player that plays until the test lets it finish (a file appears).
    const go = join(home.root, 'go');
    const player = join(home.root, 'player.sh');
    writeFileSync(player, `#!/bin/sh\nwhile [ ! -e '${go}' ]; do sleep 0.05; done\n`, { mode: 0o755 });
    server.enqueue({ text: 'The answer is here.' });
    const child = startInTerminal(home, ['ask', '--speak', '--player', player, 'hello']);
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const done = collect(child);
    await waitUntil(() => output.includes('Speaking…'), 'the speaking spinner');
    writeFileSync(go, '');
    const result = await done;

    expect(result.code, output).toBe(0);
    expect(output).toMatch(/Thinking…(\u001b\[[0-9;]*m)* (\u001b\[[0-9;]*m)*\d+s/);
    // The answer's line ends before the spinner draws, so clearing the spinner leaves it whole.
    expect(output).toMatch(/The answer is here\.\r\n[^]*Speaking…(\u001b\[[0-9;]*m)* (\u001b\[[0-9;]*m)*\d+s/);
    expect(output).toMatch(/The answer is here\.\r\n(?![^]*The answer is here)/);
    expect(existsSync(go)).toBe(true);
  });

  it('piped stderr: no spinner at all', async () => {
    server.enqueue({ text: 'Hi.' });
    const result = await home.run(['ask', 'hello']);
    expect(result.stderr).toBe('');
  });

  // db copy copies from the SQLite file the asks wrote; on the PostgreSQL run they write elsewhere
  // (db-copy.test.ts is left out of that run for the same reason).
  it.skipIf(TEST_STORE === 'postgres')('db copy: a progress bar with the count, the percentage and the time; none when piped or with --json', async () => {
    await home.run(['ask', '--session', 'one', 'first']);
    await home.run(['ask', '--session', 'two', 'second']);
    const result = await runInTerminal(home, ['db', 'copy', '--from', home.databasePath, '--to', join(home.root, 'copy.db')]);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/Copying sessions ▕█{24}▏ 2\/2 100% (\u001b\[[0-9;]*m)*· \d+s/);
    expect(result.stdout).toMatch(/\r\u001b\[2KCopied 2 sessions/);

    for (const extra of [[], ['--json']]) {
      const piped = await home.run(['db', 'copy', '--from', home.databasePath, '--to', join(home.root, `copy${extra.length}.db`), ...extra]);
      expect(piped.code).toBe(0);
      expect(piped.stderr).not.toContain('Copying');
    }
  });
});
