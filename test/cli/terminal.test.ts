/**
 * Behaviour on a real terminal: the CLI runs inside a pseudo-terminal made by util-linux
 * `script`, so stdout and stderr are TTYs (and arrive merged).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { BIN, TempHome, collect, type CliResult } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

function runInTerminal(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const quoted = args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const command = `stty cols 100 rows 30; exec '${process.execPath}' '${BIN}' ${quoted}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: home.root, env: home.environment(env), stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child);
}

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
