/**
 * Behaviour on a real terminal: the CLI runs inside a pseudo-terminal made by util-linux
 * `script`, so stdout and stderr are TTYs (and arrive merged).
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { silence, speechLike } from '../support/audio-fixtures.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import type { CliResult, TempHome } from '../support/cli.js';
import { runInTerminal as runInTerminalOf, startInTerminal as startInTerminalOf } from '../support/script-terminal.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const startInTerminal = (args: string[], env: Record<string, string> = {}): ChildProcess => startInTerminalOf(home, args, env);
const runInTerminal = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => runInTerminalOf(home, args, env);

const COLOR = /\u001b\[[0-9;]*m/;

describe('on a terminal', () => {
  it('prints the session id, marks a cached answer, and colours notes', async () => {
    server.enqueue({ text: 'Fresh answer.', chunkDelayMs: 20 });
    const first = await runInTerminal(['ask', 'hello']);
    const second = await runInTerminal(['ask', '--cache', 'hello']);

    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Fresh answer.');
    expect(first.stdout).toMatch(/session [a-z2-9]{8}/);
    expect(first.stdout).not.toContain('cached answer');
    expect(first.stdout).toContain('Thinking');
    expect(second.stdout).toMatch(/\u001b\[2mcached answer · session [a-z2-9]{8}\u001b\[22m/);
  });

  it('uses no colour with NO_COLOR', async () => {
    await runInTerminal(['ask', 'hello'], { NO_COLOR: '1' });
    const ask = await runInTerminal(['ask', '--cache', 'hello'], { NO_COLOR: '1' });
    const history = await runInTerminal(['history', '--session', JSON.parse((await home.run(['history', '--json'])).stdout)[0].id], { NO_COLOR: '1' });
    expect(ask.stdout).toContain('cached answer');
    expect(ask.stdout).not.toMatch(COLOR);
    expect(history.stdout).toContain('Assistant · ');
    expect(history.stdout).not.toMatch(COLOR);
  });

  it('prints nothing but the answer when piped, even from a terminal session', async () => {
    const result = await home.run(['ask', 'hello']);
    expect(result.stdout).toBe('You said: hello\n');
    expect(result.stderr).toBe('');
  });
});


const ESC = '\u001b';
/** What a hostile server would send: a window title, a screen clear, a clipboard write, an 8-bit CSI and OSC. */
const HOSTILE = `${ESC}]0;pwned${'\u0007'}${ESC}[2J${ESC}]52;c;ZWNobyBwd25lZA==${'\u0007'}\u009b31m\u009d2;title\u009c`;
/** The sequences we write ourselves on a terminal: colours, and the spinner's cursor and line handling. */
const OURS = /\u001b\[(?:[0-9;]*m|\?(?:25|2026)[hl]|[0-9]*[GKA])/g;

/** Nothing but our own sequences: no OSC, no screen clear, no BEL, no C1. */
function expectOnlyOurSequences(output: string): void {
  const foreign = output.replace(OURS, '');
  expect(foreign).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
}

describe('on a terminal, text from a server or the store is neutralised wherever it is printed', () => {
  it('a model name in history, stats and log (with our colours kept); raw when piped or in --json', async () => {
    server.enqueue({ text: 'Hi.', model: `gpt-evil${HOSTILE}` });
    await home.run(['ask', '--model', `ours${HOSTILE}`, 'hello']);
    const id = JSON.parse((await home.run(['history', '--json'])).stdout)[0].id as string;

    const history = await runInTerminal(['history', '--session', id]);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/Assistant(\u001b\[[0-9;]*m)+ · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · gpt-evil\r\n/);
    expectOnlyOurSequences(history.stdout);

    for (const command of [['stats'], ['log']]) {
      const result = await runInTerminal(command);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/ours /);
      expectOnlyOurSequences(result.stdout);
    }

    // Piped, and in --json even on a terminal, the text stays as the server sent it.
    expect((await home.run(['log'])).stdout).toContain(`ours${HOSTILE}`);
    const json = await runInTerminal(['history', '--session', id, '--json']);
    expectOnlyOurSequences(json.stdout);
    expect(JSON.parse(json.stdout).messages[1].model).toBe(`gpt-evil${HOSTILE}`);
  });

  it('a transcript in the "Heard:" note of ask --audio', async () => {
    const memo = join(home.root, 'memo.wav');
    writeFileSync(memo, encodeWav(Buffer.concat([silence(300), speechLike(1200), silence(300)])));
    server.defaultTranscript = { text: `turn on the lights${HOSTILE}` };

    const result = await runInTerminal(['ask', '--audio', memo]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Heard: turn on the lights(\u001b\[[0-9;]*m)*\r\n/);
    expect(result.stdout).toContain('You said: turn on the lights');
    expectOnlyOurSequences(result.stdout);
  });

  it('an error body from the server', async () => {
    server.enqueue({ status: 400, errorMessage: `bad request${HOSTILE}` });
    const result = await runInTerminal(['ask', 'hello']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Error:(\u001b\[[0-9;]*m)* .*bad request/);
    expectOnlyOurSequences(result.stdout);
  });

  it('a transcript in talk\'s "You:" line (with its colour kept)', async () => {
    const memo = join(home.root, 'memo.wav');
    writeFileSync(memo, encodeWav(Buffer.concat([silence(300), speechLike(1200), silence(2000)])));
    server.defaultTranscript = { text: `lights${HOSTILE} on` };

    // SoX reads the recording as the microphone; the turn is over once the answer is printed.
    const child = startInTerminal(['talk', '--device', `wav:${memo}`, '--mute', '--session', 'voice']);
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const closed = new Promise((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) => {
      const check = (): void => void (/Assistant:.*You said: lights on/.test(output) ? resolve() : undefined);
      child.stdout!.on('data', check);
      child.on('close', () => resolve());
    });
    child.kill('SIGKILL');
    await closed;

    expect(output).toMatch(/\u001b\[36m\u001b\[1mYou:(\u001b\[[0-9;]*m)+ lights on\r\n/);
    expectOnlyOurSequences(output);
  });

  it('an answer with a stray ESC ] (no terminator) shows the rest of the answer', async () => {
    server.enqueue({ text: `Before ${ESC}]0;never ended. The rest of the answer is still here.\nSecond line.` });
    const result = await runInTerminal(['ask', 'hello']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Before 0;never ended. The rest of the answer is still here.\r\nSecond line.');
    expectOnlyOurSequences(result.stdout);
  });

  it('a stored question as the session preview and as a search snippet (the match still highlighted)', async () => {
    await home.run(['ask', `lighthouse ${HOSTILE} keeper`]);

    const list = await runInTerminal(['history']);
    expect(list.stdout).toContain('lighthouse  keeper');
    expectOnlyOurSequences(list.stdout);

    const search = await runInTerminal(['history', '--search', 'lighthouse']);
    expect(search.stdout).toMatch(/\u001b\[1m\u001b\[33mlighthouse\u001b\[39m\u001b\[22m/);
    expectOnlyOurSequences(search.stdout);
  });
});
