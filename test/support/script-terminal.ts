/**
 * The CLI in a pseudo-terminal made by util-linux `script`, so stdout and stderr are TTYs
 * (and arrive merged, as a person sees them), 100 columns wide. For what a real screen shows
 * after redraws, use tmux.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, collect, type CliResult, type TempHome } from './cli.js';

export function startInTerminal(home: TempHome, args: string[], env: Record<string, string> = {}): ChildProcess {
  const quoted = args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const command = `stty cols 100 rows 30; exec '${process.execPath}' '${BIN}' ${quoted}`;
  return spawn('script', ['-qec', command, '/dev/null'], { cwd: home.root, env: home.environment(env), stdio: ['pipe', 'pipe', 'pipe'] });
}

export function runInTerminal(home: TempHome, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return collect(startInTerminal(home, args, env));
}
