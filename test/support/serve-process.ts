/**
 * `assistant serve` as a child process of a CLI test (on the temp home's store), and reading
 * server-sent events off a response as they arrive, so tests can act between two events.
 */
import type { ChildProcess } from 'node:child_process';
import { collect, type CliResult, type TempHome } from './cli.js';
import { waitUntil } from './wait-for.js';

export interface RunningServe {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  /** The address it listens on, as its "listening" line says. */
  host: string;
  /** The JSON lines it logged on stdout so far. */
  lines: () => Array<Record<string, unknown>>;
  /** Its exit: code, signal, everything it printed. */
  done: ReturnType<typeof collect>;
  /** Stops it with SIGTERM; resolves with its exit. */
  stop(): Promise<CliResult>;
}

/** Starts `assistant serve` (on a free port unless `args` say otherwise) and waits for its "listening" line. */
export async function startServe(home: TempHome, env: Record<string, string> = {}, args: string[] = ['--port', '0']): Promise<RunningServe> {
  const child = home.start(['serve', ...args], { env });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = collect(child);
  const lines = (): Array<Record<string, unknown>> => stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  await waitUntil(() => lines().some((line) => line.event === 'listening'), 'serve to listen');
  const listening = lines().find((line) => line.event === 'listening')!;
  const stop = async (): Promise<CliResult> => {
    child.kill('SIGTERM');
    return done;
  };
  return { child, base: `http://127.0.0.1:${String(listening.port)}`, host: String(listening.host), lines, done, stop };
}

/** A token made by `assistant token create` in this home (`options`: its limits). */
export async function createToken(home: TempHome, name: string, options: string[] = []): Promise<string> {
  const result = await home.run(['token', 'create', '--name', name, ...options]);
  if (result.code !== 0) throw new Error(`token create failed: ${result.stderr}`);
  return result.stdout.trim();
}

export interface ServerSentEvent {
  event: string;
  data: any;
}

/**
 * The events of a text/event-stream body, each as soon as it is complete (data parsed as
 * JSON). Ends when the body ends; rejects when the connection is cut mid-body.
 */
export async function* serverSentEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = [...block.matchAll(/^data: (.*)$/gm)].map((match) => match[1]).join('\n');
      yield { event, data: data === '' ? undefined : JSON.parse(data) };
    }
  }
}
