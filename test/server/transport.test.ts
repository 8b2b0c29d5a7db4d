/** HTTPS only in production (by the trusted proxy's X-Forwarded-Proto), HSTS, CORS only for configured origins, and TLS served directly. */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { createApp, type ServerSettings } from '../../src/server/app.js';
import { clientProtocol } from '../../src/server/transport.js';
import type { TokenRecord } from '../../src/store/store.js';
import { hashTokenSecret } from '../../src/tokens/token-secret.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { MemoryCacheStore } from '../support/memory-cache.js';
import { TEST_SETTINGS, baseOf, listenOnLoopback } from '../support/app-server.js';

const TOKEN = `ast_${'t'.repeat(32)}`;
const TLS = join(import.meta.dirname, '../fixtures/tls');
let server: ServerType | undefined;
afterEach(async () => {
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

/** The app with no store behind it: these requests never reach a route that stores. */
async function start(settings: Partial<ServerSettings>, tls = false): Promise<string> {
  const record: TokenRecord = { id: 't', name: 'tester', createdAt: new Date(0), lastUsedAt: undefined, revokedAt: undefined, requestsPerMinute: undefined, tokensPerDay: undefined };
  const unused = (): never => {
    throw new Error('not used here');
  };
  const app = createApp(
    {
      store: { appendMessage: unused, messages: unused, recordTurn: unused, getSession: unused, listSessions: unused, search: unused, deleteSession: unused },
      usage: { countRequest: unused, addTokens: unused, tokensUsed: unused },
      chatModel: new FakeChatModel(),
      cache: new ResponseCache(new MemoryCacheStore(), { enabled: true, maxBytes: 1e6, ttlSeconds: undefined }),
      tokens: { tokenByHash: async (hash) => (hash === hashTokenSecret(TOKEN) ? record : undefined) },
      ready: async () => {},
    },
    { version: 'test', model: 'm', system: undefined, temperature: undefined, contextTokens: 1000, cacheAnswers: 'auto', maxInputBytes: 1000, ...settings },
  );
  const options = tls ? { tls: { cert: readFileSync(join(TLS, 'cert.pem')), key: readFileSync(join(TLS, 'key.pem')) } } : {};
  server = await listenOnLoopback(app, options);
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const openApi = (base: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${base}/v1/openapi.json`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } });

describe('production transport', () => {
  it('refuses plain HTTP to the API, with one JSON error; health checks stay reachable', async () => {
    const base = await start({ environment: 'production' });
    const refused = await openApi(base);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { message: 'HTTPS only: this server refuses plain HTTP in production.', type: 'forbidden' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('believes the trusted proxy: https from it passes, with HSTS', async () => {
    const base = await start({ environment: 'production', trustedProxyHops: 1 });
    const response = await openApi(base, { 'x-forwarded-proto': 'https' });
    expect(response.status).toBe(200);
    expect(response.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
  });

  it('a client claiming https in front of a proxy that saw http is refused', async () => {
    const base = await start({ environment: 'production', trustedProxyHops: 1 });
    expect((await openApi(base, { 'x-forwarded-proto': 'https, http' })).status).toBe(403);
  });

  it('development serves plain HTTP without HSTS', async () => {
    const base = await start({});
    const response = await openApi(base);
    expect(response.status).toBe(200);
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it.each([
    [undefined, 1, undefined],
    ['https', 0, undefined],
    ['https', 1, 'https'],
    ['https, http', 1, 'http'],
    ['https, http', 2, 'https'],
    ['http', 2, undefined],
    [' HTTPS ', 1, 'https'],
  ])('clientProtocol(%j, %i) is %j', (header, hops, expected) => {
    expect(clientProtocol(header, hops)).toBe(expected);
  });
});

describe('CORS', () => {
  it('is off unless origins are configured', async () => {
    const base = await start({});
    const response = await openApi(base, { origin: 'https://elsewhere.example' });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows exactly the configured origins', async () => {
    const base = await start({ corsOrigins: ['https://chat.example.com'] });
    expect((await openApi(base, { origin: 'https://chat.example.com' })).headers.get('access-control-allow-origin')).toBe('https://chat.example.com');
    expect((await openApi(base, { origin: 'https://evil.example' })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('TLS served directly', () => {
  it('answers over HTTPS with the given certificate, and production accepts it without a proxy', async () => {
    const base = await start({ environment: 'production', tls: true }, true);
    const { status, hsts } = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
      const request = httpsRequest(`${base}/v1/openapi.json`, { ca: readFileSync(join(TLS, 'cert.pem')), headers: { authorization: `Bearer ${TOKEN}` } }, (response) => {
        response.resume();
        resolve({ status: response.statusCode!, hsts: response.headers['strict-transport-security'] as string | undefined });
      });
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(200);
    expect(hsts).toContain('max-age=');
  });
});
