/** Runs a short command to read its output (`sox -h`), never longer than its signal allows. */
import { execFile } from 'node:child_process';

export interface CommandOutput {
  /** Exit code; null when killed or when it could not start. */
  code: number | null;
  output: string;
  /** Why it could not start or was stopped. */
  error?: string;
}

export type RunCommand = (command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; signal: AbortSignal }) => Promise<CommandOutput>;

export const runCommand: RunCommand = (command, args, { env, signal }) =>
  new Promise((resolve) => {
    execFile(command, [...args], { env, signal, maxBuffer: 1_000_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (!error) return resolve({ code: 0, output });
      const code = typeof error.code === 'number' ? error.code : null;
      resolve({ code, output, ...(code === null ? { error: error.message } : {}) });
    });
  });
