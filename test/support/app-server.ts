/** The server's app on a loopback port, for tests that speak real HTTP to it without a process. */
import type { AddressInfo } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import type { ServerSettings } from '../../src/server/app.js';

/** The settings most server tests run with. */
export const TEST_SETTINGS = {
  version: 'test',
  model: 'chat-model',
  system: undefined,
  temperature: undefined,
  contextTokens: 16_000,
  cacheAnswers: 'auto',
  maxInputBytes: 10_000,
} as const satisfies ServerSettings;

/** Serves `app` on a free loopback port (HTTPS with `tls`); resolves once it listens. */
export function listenOnLoopback(app: { fetch: (request: Request) => Response | Promise<Response> }, { tls }: { tls?: { cert: Buffer; key: Buffer } } = {}): Promise<ServerType> {
  return new Promise((resolve) => {
    const base = { fetch: app.fetch, port: 0, hostname: '127.0.0.1' };
    const server = tls ? serve({ ...base, createServer: createHttpsServer, serverOptions: tls }, () => resolve(server)) : serve(base, () => resolve(server));
  });
}

/** http://127.0.0.1:<port> of a server from listenOnLoopback. */
export function baseOf(server: ServerType, protocol: 'http' | 'https' = 'http'): string {
  return `${protocol}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
