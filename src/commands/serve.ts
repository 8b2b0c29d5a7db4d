/**
 * `assistant serve`: the assistant as an HTTP service a team shares (src/server/). Listens on
 * PORT (all interfaces, as platforms expect) or --port; logs one JSON line per request on
 * stdout; SIGTERM or Ctrl-C stops accepting, lets requests in flight finish (streams end
 * cleanly) within a bound, closes the store and exits 0.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve as listen, type ServerType } from '@hono/node-server';
import { AssistantError, ENDING_SIGNAL_NAMES, ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import { serverApp } from '../server/server-app.js';
import type { CommandContext } from './context.js';

export interface ServeOptions {
  host?: string;
  port?: number;
  /** PEM files: the server terminates TLS itself. */
  tlsCert?: string;
  tlsKey?: string;
}

/** How long requests in flight may take to finish after SIGTERM (platforms kill at about 10 s). */
const DRAIN_MILLISECONDS = 8_000;
/**
 * Idle keep-alive connections stay open this long: longer than the idle timeouts of the load
 * balancers in front (60 s on AWS and Google), so a balancer never reuses a socket we just closed.
 */
const KEEP_ALIVE_MILLISECONDS = 65_000;
const DEFAULT_PORT = 8080;

export async function serve(options: ServeOptions, context: CommandContext): Promise<ExitCodeValue> {
  const { config, terminal } = context;
  const settings = config.values;
  const port = options.port ?? settings.port ?? DEFAULT_PORT;
  // A platform that sets PORT routes to the container from outside: listen on every interface.
  const host = options.host ?? (settings.port !== undefined ? '0.0.0.0' : '127.0.0.1');
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535)) throw usageError(`--port must be 0 to 65535, not ${options.port}.`);

  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw usageError('--tls-cert and --tls-key go together.');
  const tls = options.tlsCert !== undefined && options.tlsKey !== undefined ? { cert: readPem(options.tlsCert, context.cwd), key: readPem(options.tlsKey, context.cwd) } : undefined;

  const { app, store, settle } = await serverApp(context, (line) => terminal.json(line), { tls: tls !== undefined });

  const server = await new Promise<ServerType>((resolve, reject) => {
    const listening = listen({ fetch: app.fetch, port, hostname: host, ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}) }, () => resolve(listening));
    listening.once('error', (error: NodeJS.ErrnoException) =>
      reject(new AssistantError(error.code === 'EADDRINUSE' ? `Port ${port} is in use on ${host}: choose another with --port.` : `Cannot listen on ${host}:${port}: ${error.message}`)),
    );
  });
  const http = server as import('node:http').Server;
  http.keepAliveTimeout = KEEP_ALIVE_MILLISECONDS;
  const address = server.address() as AddressInfo;
  terminal.note(`Serving on ${tls ? 'https' : 'http'}://${host === '0.0.0.0' ? 'localhost' : host}:${address.port} (store: ${store.description}). Ctrl-C or SIGTERM stops.`);
  terminal.json({ at: new Date().toISOString(), event: 'listening', host, port: address.port, tls: tls !== undefined, environment: settings.environment });

  let stopListening: Array<() => void> = [];
  const stopped = await new Promise<'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT'>((resolve) => {
    stopListening = (['SIGINT', ...ENDING_SIGNAL_NAMES] as const).map((signal) => context.onSignal(signal, () => resolve(signal)));
  });
  // A second Ctrl-C, from a person, exits at once. A repeated SIGTERM (a supervisor and an init
  // both passing it on) is still listened to, so it does not cut the streams in flight: the
  // drain is bounded anyway.
  stopListening[0]!();
  terminal.json({ at: new Date().toISOString(), event: 'stopping', signal: stopped });
  const drained = await drain(http);
  // The audit rows and last uses of the requests just finished are written before the store closes.
  await settle();
  await store.close();
  for (const stop of stopListening) stop();
  terminal.json({ at: new Date().toISOString(), event: 'stopped', drained });
  return ExitCode.Success;
}

/**
 * Stops accepting; requests in flight finish, up to DRAIN_MILLISECONDS, then their connections
 * are cut. A connection whose last response has just ended would otherwise sit idle until its
 * keep-alive timeout and hold the exit back, so idle connections are closed as they appear.
 * True when everything finished within the bound.
 */
async function drain(http: import('node:http').Server): Promise<boolean> {
  const closed = new Promise<boolean>((resolve) => http.close(() => resolve(true)));
  http.closeIdleConnections();
  const sweep = setInterval(() => http.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      http.closeAllConnections();
      resolve(false);
    }, DRAIN_MILLISECONDS);
  });
  const drained = await Promise.race([closed, deadline]);
  clearInterval(sweep);
  clearTimeout(timer);
  return drained;
}

function readPem(path: string, cwd: string): Buffer {
  try {
    return readFileSync(resolve(cwd, path));
  } catch (error) {
    throw new AssistantError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
  }
}
