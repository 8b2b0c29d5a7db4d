/**
 * The per-minute limit held exactly by two `assistant serve` processes (two replicas) on one
 * PostgreSQL: the counter is in the store, so together they let in exactly the token's limit.
 * On SQLite (one machine, one file) the test is skipped with a note.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hashTokenSecret } from '../../src/tokens/token-secret.js';
import { TEST_STORE, type TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

if (TEST_STORE !== 'postgres') console.warn('[serve-limits] SKIPPED on SQLite: the two-replica limit test runs on PostgreSQL only. To run it, set ASSISTANT_TEST_POSTGRES_URL (eval "export $(bash test/support/postgres-setup.sh)"); CI does.');

const LIMIT = 10;
/** Requests each replica gets at once: reads count against the minute too, and are not bound per process like model calls. */
const BURST_PER_REPLICA = 40;

async function startServe(): Promise<{ child: ChildProcess; base: string }> {
  const child = home.start(['serve', '--port', '0']);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const listening = (): { port?: number } | undefined =>
    stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { event?: string; port?: number }).find((line) => line.event === 'listening');
  await waitUntil(() => listening() !== undefined, 'serve to listen');
  return { child, base: `http://127.0.0.1:${String(listening()!.port)}` };
}

/** A token with the limit, straight into the store (migrated by the first replica). */
async function tokenWithLimit(name: string): Promise<string> {
  const secret = `ast_${name.padEnd(32, 'x').slice(0, 32)}`;
  await home.execute(`INSERT INTO tokens (id, name, hash, created_at, requests_per_minute) VALUES ('${name}-id', '${name}', '${hashTokenSecret(secret)}', 0, ${LIMIT})`);
  return secret;
}

describe.skipIf(TEST_STORE !== 'postgres')('two serve replicas on one PostgreSQL', () => {
  it('let in exactly the per-minute limit together under a burst; then an ask is 429 on both and never reaches upstream', async () => {
    const replicas = [await startServe(), await startServe()];
    try {
      // The window is the real clock's minute: a burst that straddles a minute boundary may rightly let in more, so it is run again with a fresh token.
      for (let attempt = 0; ; attempt++) {
        const token = await tokenWithLimit(`burst${attempt}`);
        const chatBefore = server.chatRequests.length;
        const minute = Math.floor(Date.now() / 60_000);
        const statuses = await Promise.all(
          replicas.flatMap(({ base }) =>
            Array.from({ length: BURST_PER_REPLICA }, async () => {
              const response = await fetch(`${base}/v1/openapi.json`, { headers: { authorization: `Bearer ${token}` } });
              await response.arrayBuffer();
              return response.status;
            }),
          ),
        );
        // The minute is used up on both replicas: an ask is refused before anything goes upstream.
        const asks = await Promise.all(replicas.map(({ base }) => fetch(`${base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ text: 'one more' }) })));
        if (Math.floor(Date.now() / 60_000) !== minute && attempt < 2) continue;
        expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT);
        expect(statuses.filter((status) => status === 429)).toHaveLength(2 * BURST_PER_REPLICA - LIMIT);
        for (const ask of asks) {
          expect(ask.status).toBe(429);
          expect(ask.headers.get('retry-after')).toMatch(/^\d+$/);
          expect(await ask.json()).toMatchObject({ error: { type: 'rate_limit' } });
        }
        expect(server.chatRequests.length - chatBefore).toBe(0);
        break;
      }
    } finally {
      for (const { child } of replicas) child.kill('SIGTERM');
      await Promise.all(replicas.map(({ child }) => new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)))));
    }
  });
});
