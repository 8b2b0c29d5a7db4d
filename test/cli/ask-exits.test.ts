/** `ask` keeps what arrived on every way it can end early: signals, a reader that goes away, a full disk. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, collect, waitForOutput, type TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const SLOW_ANSWER = { text: 'alpha beta gamma delta epsilon zeta eta theta iota kappa', chunkDelayMs: 150 };

async function answers(): Promise<Array<[string, string]>> {
  return (await home.messageRows()).filter((row) => row.role === 'assistant').map((row) => [row.status, row.content]);
}

describe('ask ended by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s keeps the partial answer, marked interrupted, and exits %i', async (signal, code) => {
    server.enqueue(SLOW_ANSWER);
    const child = home.start(['ask', 'greek letters']);
    const done = collect(child);
    await waitForOutput(child, 'beta');
    child.kill(signal);
    const result = await done;
    expect(result.code).toBe(code);
    expect(result.stderr).toContain('Interrupted. The partial answer was saved');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const [[status, content]] = (await answers()) as [[string, string]];
    expect(status).toBe('interrupted');
    expect(content).toMatch(/^alpha beta/);
    expect(content).not.toContain('kappa');
  });
});

describe('ask whose stdout fails', () => {
  const shell = (command: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    collect(spawn('bash', ['-c', command], { env: { ...home.environment(), BIN }, cwd: home.root, stdio: ['ignore', 'pipe', 'pipe'] }));

  it('a reader that goes away early (| head -c 5) still leaves the answer so far in history, exit 0', async () => {
    server.enqueue(SLOW_ANSWER);
    const result = await shell('set -o pipefail; node "$BIN" ask "greek letters" | head -c 5');
    expect(result).toMatchObject({ code: 0, stdout: 'alpha', stderr: '' });
    const stored = await answers();
    expect(stored).toHaveLength(1);
    expect(stored[0]![1]).toMatch(/^alpha/);
    expect(stored[0]![0]).toBe('interrupted');
  });

  it('a full disk (> /dev/full) is one line on stderr, exit 1, and the answer so far is kept', async () => {
    const result = await shell('node "$BIN" ask "hello there" > /dev/full');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: Cannot write the answer to stdout \(ENOSPC\)\. The partial answer was saved in session \S+\.\n$/);
    expect(await answers()).toHaveLength(1);
  });
});
