/** 8 processes appending to one session at once: turns per second, and nothing lost or failed. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../src/store/open-store.js';
import { table } from './stats.js';

const WORKER = resolve(import.meta.dirname, 'append-worker.ts');

export async function parallelWriters(processes: number, turnsEach: number): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'assistant-bench-writers-'));
  const path = join(directory, 'writers.db');
  await (await openStore({ kind: 'sqlite', path })).close();
  const start = performance.now();
  const failures = await Promise.all(
    Array.from({ length: processes }, (_, index) =>
      new Promise<number>((done) => {
        const child = spawn(process.execPath, ['--import', 'tsx', WORKER, path, String(index), String(turnsEach)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let errors = '';
        child.stderr.on('data', (chunk) => (errors += chunk));
        child.on('close', (code) => done(code === 0 ? 0 : (process.stderr.write(errors), 1)));
      }),
    ),
  );
  const seconds = (performance.now() - start) / 1000;
  const store = await openStore({ kind: 'sqlite', path });
  const messages = await store.messages('shared');
  await store.close();
  rmSync(directory, { recursive: true, force: true });
  const expected = processes * turnsEach * 2;
  const failed = failures.reduce((sum, value) => sum + value, 0);
  return table(
    ['processes', 'turns each', 'wall time (incl. process start)', 'turns per second', 'messages expected', 'messages stored', 'lost', 'failed processes'],
    [[String(processes), String(turnsEach), `${seconds.toFixed(2)} s`, ((processes * turnsEach) / seconds).toFixed(0), String(expected), String(messages.length), String(expected - messages.length), String(failed)]],
  );
}
