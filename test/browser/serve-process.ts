/** A real `assistant serve` for the browser tests: on a free port, with personal tokens made as a person makes them. */
import type { ChildProcess } from 'node:child_process';
import { collect, type CliResult, type TempHome } from '../support/cli.js';
import { waitUntil } from '../support/wait-for.js';

export interface RunningServe {
  base: string;
  /** Stops it with SIGTERM; resolves with what it printed. */
  stop(): Promise<CliResult>;
}

export async function startServe(home: TempHome): Promise<RunningServe> {
  const child: ChildProcess = home.start(['serve', '--port', '0']);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = collect(child);
  const listening = (): { port?: number } | undefined =>
    stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { event?: string; port?: number }).find((line) => line.event === 'listening');
  await waitUntil(() => listening() !== undefined, 'serve to listen');
  return {
    base: `http://127.0.0.1:${String(listening()!.port)}`,
    stop: async () => {
      child.kill('SIGTERM');
      return done;
    },
  };
}

export async function newToken(home: TempHome, name: string, options: string[] = []): Promise<string> {
  const result = await home.run(['token', 'create', '--name', name, ...options]);
  if (result.code !== 0) throw new Error(`token create failed: ${result.stderr}`);
  return result.stdout.trim();
}
