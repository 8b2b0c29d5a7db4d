/** Input a person (or a script) should not send: refused clearly, never a crash, never cut silently. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { BIN, TempHome, collect } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

function expectRefused(result: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('bad input', () => {
  it('refuses 10 MB on stdin (over the 1 MB default) and sends nothing', async () => {
    const result = await home.run(['ask', 'summarize'], { input: 'x'.repeat(10_000_000) });
    expectRefused(result, /^Error: The piped input is over the --max-input limit of 1 MB\. Send less, or raise the limit/);
    expect(server.requests).toHaveLength(0);
  });

  it('takes a larger input when the limit is raised, whole', async () => {
    // --no-stream: the test server echoes the question, and streaming it back would be 300,000 events.
    const text = 'word '.repeat(300_000); // 1.5 MB
    const result = await home.run(['ask', '--max-input', '2MB', '--json', '--no-stream'], { input: text });
    expect(result.code).toBe(0);
    expect(server.chatRequests[0]!.body.messages.at(-1).content).toBe(text.trimEnd());
  });

  it('refuses an argument over the limit', async () => {
    const result = await home.run(['ask', '--max-input', '100k', 'y'.repeat(120_000)]);
    expectRefused(result, /The question is over the --max-input limit of 100 kB/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses binary stdin (NUL bytes) and invalid UTF-8', async () => {
    expectRefused(await home.run(['ask'], { input: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]) }), /contains NUL bytes: it looks like a binary file/);
    expectRefused(await home.run(['ask', 'what is this'], { input: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) }), /not valid UTF-8 text/);
    expect(server.requests).toHaveLength(0);
  });

  it.each(['', 'a'.repeat(65), '../etc', 'x y', "x'--", 'é'])('refuses the session id %j (exit 2)', async (id) => {
    const result = await home.run(['ask', '--session', id, 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Invalid session id/);
  });

  it('refuses an empty recording and one over the 25 MB upload limit, before any upload', async () => {
    const { closeSync, openSync, writeFileSync, ftruncateSync } = await import('node:fs');
    const empty = `${home.root}/empty.wav`;
    writeFileSync(empty, '');
    expectRefused(await home.run(['ask', '--audio', empty]), /The audio is empty: nothing to transcribe/);
    const huge = `${home.root}/huge.wav`;
    const handle = openSync(huge, 'w');
    ftruncateSync(handle, 26 * 1024 * 1024);
    closeSync(handle);
    expectRefused(await home.run(['ask', '--audio', huge]), /The audio is 26\.0 MB, over the 25 MB upload limit\. Shorten or compress it/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a bad --max-input', async () => {
    const result = await home.run(['ask', '--max-input', 'lots', 'hi']);
    expect(result.code).toBe(2); // a bad flag value is a usage error
    expect(result.stderr).toMatch(/--max-input must be a size such as 200000, 500k or 2MB \(got "lots"\)/);
  });
});

describe('terminal injection', () => {
  const ESC = '\u001b';
  const evil = `Hi ${ESC}]0;pwned\u0007${ESC}[2J${ESC}]52;c;ZXZpbA==\u0007${ESC}]8;;https://evil.example${ESC}\\link${ESC}]8;;${ESC}\\ there`;

  function inTerminal(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const quoted = args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qec', `stty cols 100; exec '${process.execPath}' '${BIN}' ${quoted}`, '/dev/null'], {
      cwd: home.root,
      env: home.environment({ NO_COLOR: '1' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return collect(child);
  }

  it('neutralises escape sequences in an answer shown on a terminal, and in history; raw text stays in --json and pipes', async () => {
    server.enqueue({ text: evil, chunkDelayMs: 1 });
    const shown = await inTerminal(['ask', '--session', 'evil', 'say hi']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Hi link there');
    for (const sequence of [']0;pwned', '[2J', ']52;', ']8;;']) expect(shown.stdout).not.toContain(`${ESC}${sequence}`);

    const transcript = await inTerminal(['history', '--session', 'evil']);
    expect(transcript.stdout).toContain('Hi link there');
    expect(transcript.stdout).not.toContain(`${ESC}]`);

    const json = JSON.parse((await home.run(['history', '--session', 'evil', '--json'])).stdout);
    expect(json.messages[1].content).toBe(evil);
    server.enqueue({ text: evil });
    const piped = await home.run(['ask', '--no-cache', 'again']);
    expect(piped.stdout).toBe(`${evil}\n`);
  });

  it('neutralises escape sequences a server puts in an error message', async () => {
    server.enqueue({ status: 400, errorMessage: `bad ${ESC}]0;pwned\u0007request` });
    const result = await home.run(['ask', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/rejected the request \(400\): bad request/);
    expect(result.stderr).not.toContain(ESC);
  });
});
