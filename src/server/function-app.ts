/**
 * The server as a function (Vercel, AWS Lambda): the same routes and parts as `assistant serve`
 * (server-app.ts), configured from the environment, built on the first request and kept while
 * the function instance lives. A function has no disk that outlives it, so the store must be
 * PostgreSQL: any other DATABASE_URL is refused at start, on stderr (the function's log) and
 * in every answer, rather than serving a history that vanishes. vercel-entry.ts and
 * lambda-entry.ts each give it their platform's words for that.
 */
import { Hono } from 'hono';
import { loadConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { buildContext } from '../real-dependencies.js';
import { secretsOf } from '../secrets.js';
import { parseStoreLocation } from '../store/open-store.js';
import { Terminal } from '../ui/terminal.js';
import { HttpError } from './http-errors.js';
import { serverApp, type ServerApp } from './server-app.js';

/** What a function gets from its platform. */
export interface FunctionEnvironment {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: { write(chunk: string): boolean };
  stderr: { write(chunk: string): boolean };
}

/** `notPostgres`: the refusal when DATABASE_URL is not PostgreSQL, naming the platform. */
export function functionApp({ env, cwd, stdout, stderr }: FunctionEnvironment, notPostgres: string): Hono {
  const entry = new Hono();
  const terminal = new Terminal({ stdout, stderr, env });
  let built: () => Promise<ServerApp>;
  try {
    const config = loadConfig({ env, cwd });
    terminal.secrets = secretsOf(config.values);
    for (const warning of config.warnings) terminal.warn(warning);
    if (parseStoreLocation(config.values.databaseUrl, cwd).kind !== 'postgres') throw new Error(notPostgres);
    const { context } = buildContext(config, terminal, {
      env,
      cwd,
      stdin: { isTTY: false, [Symbol.asyncIterator]: async function* () {} },
      // The platform ends the instance; there is nothing to drain between invocations.
      onSignal: () => () => {},
      onOutputError: () => () => {},
      exit: (code) => {
        throw new Error(`exit ${code}`);
      },
    });
    let opened: Promise<ServerApp> | undefined;
    // A store that cannot be opened now may be reachable on the next request: do not keep the failure.
    built = () =>
      (opened ??= serverApp(context, (line) => terminal.json(line), { tls: false }).catch((error: unknown) => {
        opened = undefined;
        throw error;
      }));
  } catch (error) {
    const refusal = new HttpError(503, errorMessage(error), 'unavailable');
    terminal.error(refusal.message);
    entry.all('*', (context) => context.json(refusal.body, refusal.status));
    return entry;
  }
  entry.all('*', async (context) => (await built()).app.fetch(context.req.raw));
  entry.onError((error, context) => {
    terminal.error(errorMessage(error));
    return context.json(new HttpError(503, 'The store is not reachable.', 'unavailable').body, 503);
  });
  return entry;
}
