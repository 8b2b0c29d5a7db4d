/** Process and file faults: kill -9, read-only, full disk, corrupted or newer database. SQLite. */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { BIN, TempHome, collect, waitForOutput } from '../support/cli.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/**
 * Where in an exchange a kill -9 lands, chosen at random for each process. Each is found by
 * what can be seen (the request at the server, words on stdout), not by a timer, so a slow
 * machine moves the kills with the exchange instead of landing them all in start-up.
 */
const KILL_POINTS = ['starting', 'question sent', 'answer arriving', 'answer printed'] as const;
/** The share of processes left to finish: their exchanges must be complete in the store. */
const UNKILLED_SHARE = 0.1;

function randomKillPoint(): (typeof KILL_POINTS)[number] | 'never' {
  return Math.random() < UNKILLED_SHARE ? 'never' : KILL_POINTS[Math.floor(Math.random() * KILL_POINTS.length)]!;
}

async function killAt(point: ReturnType<typeof randomKillPoint>, child: ChildProcess, question: string): Promise<void> {
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer | string) => (stdout += chunk.toString()));
  const printed = (text: string): Promise<void> => waitUntil(() => exited() || stdout.includes(text), `${JSON.stringify(text)} on stdout`);
  if (point === 'never') return;
  if (point === 'question sent') await waitUntil(() => exited() || server.chatRequests.some((request) => request.body.messages.at(-1).content === question), `${question} at the server`);
  if (point === 'answer arriving') await printed('answer');
  if (point === 'answer printed') await printed(`answer to ${question}`);
  // Then anywhere in the next few milliseconds: between the writes to the store, or in one.
  setTimeout(() => child.kill('SIGKILL'), Math.random() * 15);
}

describe('kill -9 at random moments while several processes write', () => {
  it('leaves a sound database in which every finished exchange is complete', { timeout: 180_000 }, async () => {
    const kills = Number(process.env.ASSISTANT_KILL_LOOPS ?? 200);
    server.defaultReply = (request) => ({ text: `answer to ${request.body.messages.at(-1).content}`, chunkDelayMs: 3 });
    let killed = 0;
    let started = 0;
    const finished: string[] = [];
    const worker = async (): Promise<void> => {
      while (killed < kills) {
        const question = `question-${(started += 1)}`;
        const child = home.start(['ask', '--session', 'shared', question]);
        const done = collect(child);
        await killAt(randomKillPoint(), child, question);
        const result = await done;
        if (result.signal === 'SIGKILL') killed += 1;
        else {
          expect(result.stderr).toBe('');
          expect(result.code).toBe(0);
          finished.push(question);
        }
      }
    };
    try {
      await Promise.all([worker(), worker(), worker(), worker()]);
    } finally {
      const { echoReply } = await import('../support/openai-server.js');
      server.defaultReply = echoReply;
    }

    expect(killed).toBeGreaterThanOrEqual(kills);
    expect(finished.length).toBeGreaterThan(0);
    expect(await home.rows('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    const rows = await home.messageRows();
    for (const question of finished) {
      const index = rows.findIndex((row) => row.content === question);
      expect(index, question).toBeGreaterThanOrEqual(0);
      expect(rows.some((row) => row.role === 'assistant' && row.content === `answer to ${question}` && row.status === 'complete'), question).toBe(true);
    }
    const [session] = await home.rows<{ message_count: number }>("SELECT message_count FROM sessions WHERE id = 'shared'");
    expect(session!.message_count).toBe(rows.length);
    const history = await home.run(['history', '--session', 'shared', '--json']);
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout).messages).toHaveLength(rows.length);
    console.info(`kill -9 loop: ${killed} kills, ${finished.length} finished exchanges, ${rows.length} messages, integrity ok`);
  });
});

describe('the database file', () => {
  it('a corrupted file is reported with advice and left untouched', async () => {
    mkdirSync(join(home.dataDirectory, 'assistant'), { recursive: true });
    const garbage = Buffer.from('this is not a database at all; '.repeat(200));
    writeFileSync(home.databasePath, garbage);
    const result = await home.run(['ask', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: .*assistant\.db is not a usable assistant database \(.*\)\. It was left untouched: move it aside or set DATABASE_URL to another file\.\n$/);
    expect(readFileSync(home.databasePath).equals(garbage)).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('a database from a newer version is refused and left untouched', async () => {
    await home.run(['ask', 'make it']);
    const database = new Database(home.databasePath);
    database.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 0)").run();
    database.close();
    const before = readFileSync(home.databasePath);
    const result = await home.run(['history']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/written by a newer version of assistant \(schema 99, this one knows \d+\)\. Upgrade assistant; the file was left untouched\./);
    expect(readFileSync(home.databasePath).equals(before)).toBe(true);
  });

  it('a read-only database (another user\'s file) is a clear error', async () => {
    await home.run(['ask', 'make it']);
    // Root may write anything, so run as nobody: the file and its directory belong to root.
    chmodSync(home.root, 0o755);
    for (const directory of [home.dataDirectory, join(home.dataDirectory, 'assistant')]) chmodSync(directory, 0o755);
    chmodSync(home.databasePath, 0o644);
    const child = spawn('runuser', ['-u', 'nobody', '--', process.execPath, BIN, 'ask', 'can I write?'], { cwd: '/', env: home.environment(), stdio: ['ignore', 'pipe', 'pipe'] });
    const result = await collect(child);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: Cannot (write|create) the database .*assistant\.db.* Check the permissions of the file and its directory|^Error: Cannot write the database/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(statSync(home.databasePath).uid).toBe(0);
  });

  it('a full disk (a file-size limit) is a clear error, and what was stored stays sound', async () => {
    await home.run(['ask', 'small first']);
    const size = statSync(home.databasePath).size;
    const big = 'z'.repeat(400_000);
    const limitKb = Math.ceil(size / 1024) + 8;
    const child = spawn('bash', ['-c', `ulimit -f ${limitKb}; exec '${process.execPath}' '${BIN}' ask --max-input 1MB`], { cwd: home.root, env: home.environment(), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.end(big);
    const result = await collect(child);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: Cannot write the database .*\. Is the disk full\?/);
    expect(result.signal).toBeNull();
    expect(await home.rows('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect((await home.messageRows()).map((row) => row.content)).toContain('small first');
  });
});

describe('signals during talk', () => {
  it('SIGHUP (the terminal closed) stores the turn so far and leaves no child behind', async () => {
    server.enqueue({ text: 'slow words keep coming and coming', chunkDelayMs: 200 });
    const child = home.start(['talk', '--text', '--mute'], { keepStdinOpen: true });
    const done = collect(child);
    child.stdin!.write('go\n');
    // Mid-answer: the first words are out, the rest still coming (a chunk every 200 ms).
    await waitForOutput(child, 'slow');
    child.kill('SIGHUP');
    const result = await done;
    expect(result.code).toBe(129);
    expect((await home.messageRows()).map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'interrupted'],
    ]);
  });
});
