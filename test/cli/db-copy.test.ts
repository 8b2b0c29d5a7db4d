import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { collect, TempHome } from '../support/cli.js';
import { waitUntil } from '../support/wait-for.js';
import { POSTGRES_URL, createTestDatabase, dropTestDatabase, queryDatabase, warnSkipped } from '../support/postgres.js';

warnSkipped('db-copy');
let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));
beforeEach(async () => {
  await home.run(['ask', '--session', 'laptop', 'Où est la gare?']);
  await home.run(['ask', '--session', 'laptop', 'And the museum?']);
  await home.run(['ask', '--session', 'work', 'summarize the meeting']);
});

async function historyAt(databaseUrl: string): Promise<unknown> {
  const sessions = JSON.parse((await home.run(['history', '--json'], { env: { DATABASE_URL: databaseUrl } })).stdout);
  const transcripts = [];
  for (const session of sessions) {
    const { messages } = JSON.parse((await home.run(['history', '--json', '--session', session.id], { env: { DATABASE_URL: databaseUrl } })).stdout);
    transcripts.push({ ...session, messages: messages.map(({ id: _, ...rest }: { id: number }) => rest) });
  }
  return transcripts;
}

describe('assistant db copy', () => {
  it('copies SQLite to SQLite, idempotently, reporting counts', async () => {
    const target = join(home.root, 'copy.db');
    const first = await home.run(['db', 'copy', '--from', home.databasePath, '--to', target]);
    const second = await home.run(['db', 'copy', '--from', home.databasePath, '--to', target]);
    expect(first).toMatchObject({ code: 0, stdout: 'Copied 2 sessions: 6 messages (0 already there), 0 tokens (0 already there).\n' });
    expect(second.stdout).toBe('Copied 2 sessions: 0 messages (6 already there), 0 tokens (0 already there).\n');
    expect(await historyAt(target)).toEqual(await historyAt(home.databasePath));
  });

  it('refuses the same store on both sides, and needs both flags', async () => {
    expect((await home.run(['db', 'copy', '--from', home.databasePath, '--to', home.databasePath])).code).toBe(2);
    const missing = await home.run(['db', 'copy', '--from', home.databasePath]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--to <url-or-path>'/);
  });

  it('a --from that does not exist is an error, and is not created', async () => {
    const typo = join(home.root, 'assistnat.db');
    const target = join(home.root, 'copy.db');
    const result = await home.run(['db', 'copy', '--from', typo, '--to', target]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`Error: --from ${typo}: no such database file. Nothing was copied.\n`);
    expect(existsSync(typo)).toBe(false);
    expect(existsSync(target)).toBe(false);
  });

  it('a --to in a directory that does not exist is an error, and no directory is made', async () => {
    const target = join(home.root, 'no-such-directory', 'copy.db');
    const result = await home.run(['db', 'copy', '--from', home.databasePath, '--to', target]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the directory');
    expect(existsSync(join(home.root, 'no-such-directory'))).toBe(false);
  });

  it('a --to URL that does not parse is a usage error naming the flag, never the password', async () => {
    const result = await home.run(['db', 'copy', '--from', home.databasePath, '--to', 'postgres://me:pa#ss@db/x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: --to is not a valid PostgreSQL URL (the password may need percent-encoding: # / ? @ :): postgres://me:redacted@db/x\n');
  });

  describe.skipIf(!POSTGRES_URL)('with PostgreSQL', () => {
    let postgres: string;
    beforeEach(async () => {
      postgres = await createTestDatabase();
    });
    afterEach(() => dropTestDatabase(postgres));

    it("moves serve's tokens: one made before the copy authenticates against serve on the copy, a revoked one stays refused", async () => {
      const created = await home.run(['token', 'create', '--name', 'alice', '--requests-per-minute', '30']);
      const secret = created.stdout.trim();
      const revoked = (await home.run(['token', 'create', '--name', 'carol'])).stdout.trim();
      expect((await home.run(['token', 'revoke', 'carol'])).code).toBe(0);
      expect((await home.run(['token', 'create', '--name', 'bob'])).code).toBe(0);
      // The target has its own "bob" already: the copy leaves it, and says so.
      expect((await home.run(['token', 'create', '--name', 'bob'], { env: { DATABASE_URL: postgres } })).code).toBe(0);
      const result = await home.run(['db', 'copy', '--from', home.databasePath, '--to', postgres]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('Copied 2 sessions: 6 messages (0 already there), 2 tokens (0 already there).\n');
      expect(result.stderr).toContain('Not copied: the target has another token named "bob"; those stay as they are there.');
      const rows = await queryDatabase<{ name: string; requests_per_minute: number; hash: string }>(postgres, "SELECT name, requests_per_minute, hash FROM tokens WHERE name = 'alice'");
      expect(rows).toHaveLength(1);
      expect(rows[0]!.requests_per_minute).toBe(30);
      expect(await queryDatabase(postgres, "SELECT name FROM tokens WHERE revoked_at IS NOT NULL")).toEqual([{ name: 'carol' }]);
      expect(JSON.stringify(await queryDatabase(postgres, 'SELECT * FROM tokens'))).not.toContain(secret);
      expect(await queryDatabase(postgres, 'SELECT * FROM token_usage')).toEqual([]);

      const serve = home.start(['serve', '--port', '0'], { env: { DATABASE_URL: postgres } });
      let stdout = '';
      serve.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const done = collect(serve);
      try {
        const port = (): number | undefined => (stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { event?: string; port?: number }).find((line) => line.event === 'listening')?.port);
        await waitUntil(() => port() !== undefined, 'serve to listen');
        const ask = (token: string): Promise<Response> =>
          fetch(`http://127.0.0.1:${port()!}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ text: 'hello from the copy' }) });
        const answered = await ask(secret);
        expect(answered.status).toBe(200);
        expect(await answered.json()).toMatchObject({ answer: 'You said: hello from the copy' });
        const refused = await ask(revoked);
        expect(refused.status).toBe(401);
        expect(await refused.json()).toMatchObject({ error: { message: expect.stringContaining('revoked') } });
      } finally {
        serve.kill('SIGTERM');
        expect((await done).code).toBe(0);
      }
      // A second copy adds nothing, and keeps the target's use of the token.
      const again = await home.run(['db', 'copy', '--from', home.databasePath, '--to', postgres, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ tokens: 0, tokensAlreadyThere: 2, tokensNotCopied: ['bob'] });
      const [used] = await queryDatabase<{ last_used_at: number | null }>(postgres, "SELECT last_used_at FROM tokens WHERE name = 'alice'");
      expect(used!.last_used_at).not.toBeNull();
    });

    it('moves a SQLite history and cache into PostgreSQL, and history reads it back; the reverse works too', async () => {
      const result = await home.run(['db', 'copy', '--from', `sqlite://${home.databasePath}`, '--to', postgres, '--cache', '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ sessions: 2, messages: 6, messagesAlreadyThere: 0, tokens: 0, cacheEntries: 3, cacheEntriesAlreadyThere: 0 });
      expect(result.stdout).not.toContain('assistant_test:assistant_test');
      expect(await historyAt(postgres)).toEqual(await historyAt(home.databasePath));
      const search = JSON.parse((await home.run(['history', '--search', 'gare', '--json'], { env: { DATABASE_URL: postgres } })).stdout);
      expect(search.map((hit: { sessionId: string }) => hit.sessionId)).toEqual(['laptop', 'laptop']);
      // A cached answer now comes from PostgreSQL: no request.
      const before = server.chatRequests.length;
      const cached = await home.run(['ask', '--json', '--cache', 'summarize the meeting'], { env: { DATABASE_URL: postgres } });
      expect(JSON.parse(cached.stdout).cached).toBe(true);
      expect(server.chatRequests.length).toBe(before);

      const again = JSON.parse((await home.run(['db', 'copy', '--from', home.databasePath, '--to', postgres, '--cache', '--json'])).stdout);
      expect(again).toMatchObject({ messages: 0, messagesAlreadyThere: 6, cacheEntries: 0, cacheEntriesAlreadyThere: 3 });
      expect((await queryDatabase<{ count: number }>(postgres, 'SELECT COUNT(*) AS count FROM messages'))[0]!.count).toBe(8);

      const back = join(home.root, 'back.db');
      expect((await home.run(['db', 'copy', '--from', postgres, '--to', back])).code).toBe(0);
      expect(await historyAt(back)).toEqual(await historyAt(postgres));
    });
  });
});
