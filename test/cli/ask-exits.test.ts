/** `ask` keeps what arrived on every way it can end early: signals, a reader that goes away, a full disk. */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, collect, waitForOutput, type TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-for.js';

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
    ['SIGQUIT', 131],
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

  it('a fast answer cut by head keeps what arrived too (all of it may be in before the pipe closes)', async () => {
    server.enqueue({ text: Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ') });
    // TIMEOUT=600: a read that waits after the abort would hang the test, not end at the idle bound.
    const result = await shell('TIMEOUT=600 node "$BIN" ask "many words" | head -c 5');
    expect(result).toMatchObject({ code: 0, stdout: 'word0', stderr: '' });
    const stored = await answers();
    expect(stored).toHaveLength(1);
    expect(stored[0]![1]).toMatch(/^word0 word1/);
  });

  it('chat whose reader goes away stores the turn so far and ends cleanly', async () => {
    server.enqueue({ text: Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ') });
    const result = await shell('printf "first\\nsecond\\n" | TIMEOUT=600 node "$BIN" chat --session piped | head -c 3');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You');
    const rows = await home.messageRows();
    expect(rows.map((row) => [row.role, row.content.split(' ')[0]])).toEqual([['user', 'first'], ['assistant', 'word0']]);
  });

  it('a full disk (> /dev/full) is one line on stderr, exit 1, and the answer so far is kept', async () => {
    const result = await shell('node "$BIN" ask "hello there" > /dev/full');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: Cannot write the answer to stdout \(ENOSPC\)\. The partial answer was saved in session \S+\.\n$/);
    expect(await answers()).toHaveLength(1);
  });
});

describe('ask --speak ended early', () => {
  it('keeps what was printed, not only what was spoken, and leaves nothing the player started', async () => {
    const player = join(home.root, 'slow-player.sh');
    // A player that starts a child of its own: stopping the player must stop it too.
    writeFileSync(player, '#!/bin/sh\nsleep 31.4159\n', { mode: 0o755 });
    server.enqueue({ text: 'First sentence here. Second sentence here. Third sentence here.' });
    const child = home.start(['ask', '--speak', '--player', player, 'three sentences']);
    const done = collect(child);
    await waitForOutput(child, 'Third sentence here.');
    await waitUntil(() => processesMatching('sleep 31.4159').length > 0, "the player's child");
    child.kill('SIGTERM');
    const result = await done;
    expect(result, result.stderr).toMatchObject({ code: 143 });
    const [[status, content]] = (await answers()) as [[string, string]];
    expect(status).toBe('interrupted');
    expect(content).toBe('First sentence here. Second sentence here. Third sentence here.');
    await waitUntil(() => processesMatching('sleep 31.4159').length === 0, "the player's child to end");
  });
});

function processesMatching(text: string): string[] {
  const listing = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout;
  return listing.split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}
