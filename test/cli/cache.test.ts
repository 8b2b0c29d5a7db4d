import { describe, expect, it } from 'vitest';
import { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe('the response cache', () => {
  it('serves a chat answer again only for a deterministic request, --cache or "always"; "never" stores none', async () => {
    await home.run(['ask', 'hello']);
    await home.run(['ask', 'hello']);
    expect(server.chatRequests).toHaveLength(2); // temperature unset: a new answer each time
    const cached = await home.run(['ask', '--json', '--cache', 'hello']);
    expect(JSON.parse(cached.stdout)).toMatchObject({ cached: true });
    expect(server.chatRequests).toHaveLength(2);

    await home.run(['ask', '-t', '0', 'deterministic']);
    const again = await home.run(['ask', '--json', '-t', '0', 'deterministic']);
    expect(JSON.parse(again.stdout)).toMatchObject({ cached: true });
    expect(server.chatRequests).toHaveLength(3);

    await home.run(['ask', 'always'], { env: { ASSISTANT_CACHE_ANSWERS: 'always' } });
    await home.run(['ask', 'always'], { env: { ASSISTANT_CACHE_ANSWERS: 'always' } });
    expect(server.chatRequests).toHaveLength(4);

    await home.run(['ask', '-t', '0', 'never'], { env: { ASSISTANT_CACHE_ANSWERS: 'never' } });
    await home.run(['ask', '-t', '0', 'never'], { env: { ASSISTANT_CACHE_ANSWERS: 'never' } });
    expect(server.chatRequests).toHaveLength(6);
    expect(await home.rows("SELECT key FROM cache WHERE kind = 'chat'")).toHaveLength(3);

    const bad = await home.run(['ask', 'x'], { env: { ASSISTANT_CACHE_ANSWERS: 'sometimes' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ASSISTANT_CACHE_ANSWERS must be one of auto, always, never/);
  });

  it('serves a repeated question without a request, and still records it in history', async () => {
    const first = await home.run(['ask', '--cache', '--json', 'What is 2+2?']);
    const second = await home.run(['ask', '--cache', '--json', 'What is 2+2?']);

    expect(server.chatRequests).toHaveLength(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ cached: false, answer: 'You said: What is 2+2?' });
    expect(JSON.parse(second.stdout)).toMatchObject({ cached: true, answer: 'You said: What is 2+2?', status: 'complete' });
    expect(JSON.parse(second.stdout).usage).toEqual(JSON.parse(first.stdout).usage);
    const answers = (await home.messageRows()).filter((row) => row.role === 'assistant');
    expect(answers.map((row) => row.cached)).toEqual([0, 1]);
  });

  it('prints a cached answer like a fresh one when piped', async () => {
    await home.run(['ask', '--cache', 'hello']);
    const result = await home.run(['ask', '--cache', 'hello']);
    expect(result).toMatchObject({ code: 0, stdout: 'You said: hello\n', stderr: '' });
  });

  it('--no-cache neither reads nor writes', async () => {
    await home.run(['ask', '--no-cache', 'hello']);
    expect((await home.rows('SELECT * FROM cache'))).toEqual([]);
    await home.run(['ask', 'hello']);
    await home.run(['ask', '--no-cache', 'hello']);
    expect(server.chatRequests).toHaveLength(3);
  });

  it.each([
    ['model', ['--model', 'other-model']],
    ['system prompt', ['--system', 'Be brief.']],
    ['temperature', ['--temperature', '0.5']],
  ])('misses when the %s differs', async (_, flags) => {
    await home.run(['ask', 'same question']);
    await home.run(['ask', ...flags, 'same question']);
    expect(server.chatRequests).toHaveLength(2);
  });

  it('misses when the base URL differs', async () => {
    const other = await new FakeOpenAIServer().start();
    try {
      await home.run(['ask', 'same question']);
      await home.run(['ask', 'same question'], { env: { OPENAI_BASE_URL: other.url } });
      expect(server.chatRequests).toHaveLength(1);
      expect(other.chatRequests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('the key covers the whole conversation: a continued session misses', async () => {
    await home.run(['ask', '--session', 'a', 'hello']);
    await home.run(['ask', '--session', 'a', 'hello']);
    expect(server.chatRequests).toHaveLength(2);
    expect(server.chatRequests[1]!.body.messages).toHaveLength(3);
  });

  it('does not depend on the API key', async () => {
    await home.run(['ask', '--cache', 'hello']);
    await home.run(['ask', '--cache', 'hello'], { env: { OPENAI_API_KEY: 'sk-another-key' } });
    expect(server.chatRequests).toHaveLength(1);
  });

  it('ignores entries older than ASSISTANT_CACHE_TTL', async () => {
    await home.run(['ask', '--cache', 'hello']);
    // Ten minutes pass: the entry is made older in the store instead of waiting.
    await home.execute("UPDATE cache SET created_at = created_at - 600000 WHERE kind = 'chat'");
    const young = await home.run(['ask', '--json', '--cache', 'hello'], { env: { ASSISTANT_CACHE_TTL: '1h' } });
    expect(JSON.parse(young.stdout)).toMatchObject({ cached: true });
    expect(server.chatRequests).toHaveLength(1);

    const old = await home.run(['ask', '--json', '--cache', 'hello'], { env: { ASSISTANT_CACHE_TTL: '1s' } });
    expect(JSON.parse(old.stdout)).toMatchObject({ cached: false });
    expect(server.chatRequests).toHaveLength(2);
    // The fresh answer replaced the expired one.
    const fresh = await home.run(['ask', '--json', '--cache', 'hello'], { env: { ASSISTANT_CACHE_TTL: '1h' } });
    expect(JSON.parse(fresh.stdout)).toMatchObject({ cached: true });
    expect(server.chatRequests).toHaveLength(2);
  });

  it('evicts the least recently used entries beyond the size limit', async () => {
    // Each answer is about 1 kB; the limit holds two.
    const env = { ASSISTANT_CACHE_MAX_MB: '0.0025' };
    server.defaultReply = (request) => ({ text: `${request.body.messages.at(-1).content} ${'x'.repeat(1000)}` });
    try {
      await home.run(['ask', '--cache', 'one'], { env });
      await home.run(['ask', '--cache', 'two'], { env });
      await home.run(['ask', '--cache', 'one'], { env }); // a hit: "one" is now the most recently used
      await home.run(['ask', '--cache', 'three'], { env }); // evicts "two"
      expect(server.chatRequests).toHaveLength(3);
      await home.run(['ask', '--cache', 'one'], { env });
      await home.run(['ask', '--cache', 'two'], { env });
      expect(server.chatRequests.map((request) => request.body.messages.at(-1).content)).toEqual(['one', 'two', 'three', 'two']);
      const total = (await home.rows<{ bytes: number }>('SELECT SUM(size) AS bytes FROM cache'))[0]!.bytes;
      expect(total).toBeLessThanOrEqual(2500);
    } finally {
      const { echoReply } = await import('../support/openai-server.js');
      server.defaultReply = echoReply;
    }
  });

  it('cache stats counts entries, bytes and hits; cache clear empties it', async () => {
    await home.run(['ask', '--cache', 'hello']);
    await home.run(['ask', '--cache', 'hello']);
    await home.run(['ask', '--cache', 'hello']);
    await home.run(['ask', '--cache', 'bye']);

    const stats = await home.run(['cache', 'stats']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^KIND\s+ENTRIES\s+SIZE\s+HITS\n/);
    expect(stats.stdout).toMatch(/\nchat\s+2\s+28 B\s+2\n/);
    expect(stats.stdout).toMatch(/\nspeech\s+0\s+0 B\s+0\n/);
    expect(stats.stdout).toMatch(/\ntranscription\s+0\s+0 B\s+0\n/);
    const json = JSON.parse((await home.run(['cache', 'stats', '--json'])).stdout);
    expect(json.total).toEqual({ entries: 2, bytes: 28, hits: 2 });
    expect(json.maxBytes).toBe(200_000_000);

    const clear = await home.run(['cache', 'clear']);
    expect(clear).toMatchObject({ code: 0, stdout: '' });
    expect(clear.stderr).toBe('Removed 2 cache entries (28 B).\n');
    expect(JSON.parse((await home.run(['cache', 'stats', '--json'])).stdout).total).toEqual({ entries: 0, bytes: 0, hits: 0 });
    expect((await home.messageRows())).toHaveLength(8);
    if (!home.isPostgres) {
      // secure_delete: the cleared answers are overwritten in the file, not just unlinked.
      const { readFileSync } = await import('node:fs');
      const cacheRows = await home.rows('SELECT * FROM cache');
      expect(cacheRows).toEqual([]);
      expect(readFileSync(home.databasePath).includes('"promptTokens"')).toBe(false);
    }
  });

  it('a cache that cannot be written costs nothing but the shortcut: the answer is printed and stored, exit 0, one note', async () => {
    await home.run(['ask', 'set up the store']);
    // The store refuses every new cache entry (as a full disk or a broken table would), and nothing else.
    await home.execute(
      home.isPostgres
        ? `CREATE FUNCTION refuse_cache() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'cache refused'; END $$ LANGUAGE plpgsql;
           CREATE TRIGGER refuse_cache BEFORE INSERT ON cache FOR EACH ROW EXECUTE FUNCTION refuse_cache();`
        : "CREATE TRIGGER refuse_cache BEFORE INSERT ON cache BEGIN SELECT RAISE(ABORT, 'cache refused'); END;",
    );
    const result = await home.run(['ask', '--cache', 'what is new?']);
    expect(result).toMatchObject({ code: 0, stdout: 'You said: what is new?\n' });
    expect(result.stderr).toBe('Note: the response cache could not be written (cache refused); nothing else is affected.\n');
    expect((await home.messageRows()).slice(-2).map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'what is new?', 'complete'],
      ['assistant', 'You said: what is new?', 'complete'],
    ]);
    // Only the first answer's entry, written before the store refused.
    expect(await home.rows('SELECT key FROM cache')).toHaveLength(1);
  });
});
