import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { PLANTED_KEY, TEST_STORE, TempHome } from '../support/cli.js';
import { messageRows } from '../support/database.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe('several processes at once', () => {
  it('6 parallel asks on one session lose nothing and never see "database is locked"', async () => {
    server.defaultReply = (request) => ({ text: `answer to ${request.body.messages.at(-1).content}`, chunkDelayMs: 2 });
    try {
      const runs = await Promise.all(
        Array.from({ length: 6 }, (_, index) => home.run(['ask', '--session', 'shared', `question ${index}`])),
      );
      for (const run of runs) {
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
      }
      const rows = (await home.messageRows());
      expect(rows).toHaveLength(12);
      for (let index = 0; index < 6; index += 1) {
        expect(rows.filter((row) => row.content === `question ${index}`)).toHaveLength(1);
        expect(rows.filter((row) => row.content === `answer to question ${index}`)).toHaveLength(1);
      }
      expect((await home.rows("SELECT message_count FROM sessions WHERE id = 'shared'"))).toEqual([{ message_count: 12 }]);
      if (!home.isPostgres) expect(await home.rows('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      const { echoReply } = await import('../support/openai-server.js');
      server.defaultReply = echoReply;
    }
  });
});

describe('secrets and files', () => {
  it('never writes the API key to the database, and keeps data private (0700 / 0600)', async () => {
    server.enqueue({ status: 401, errorMessage: `bad key ${PLANTED_KEY}` });
    await home.run(['ask', 'first']);
    await home.run(['ask', 'second']);
    await home.run(['ask', 'second']);
    await home.run(['history', '--search', 'second']);

    if (home.isPostgres) {
      for (const table of ['sessions', 'messages', 'cache', 'turns', 'schema_migrations']) {
        expect(JSON.stringify(await home.rows(`SELECT * FROM ${table}`)), table).not.toContain(PLANTED_KEY);
      }
    } else {
      const directory = join(home.dataDirectory, 'assistant');
      for (const name of readdirSync(directory)) {
        expect(readFileSync(join(directory, name)).includes(PLANTED_KEY), name).toBe(false);
      }
      expect(statSync(directory).mode & 0o777).toBe(0o700);
      expect(statSync(home.databasePath).mode & 0o777).toBe(0o600);
    }
    const cacheKeys = (await home.rows<{ key: string }>('SELECT key FROM cache'));
    expect(cacheKeys.length).toBeGreaterThan(0);
  });

  it('config shows every value and its source, with the key redacted', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(home.configDirectory, 'assistant'), { recursive: true });
    writeFileSync(join(home.configDirectory, 'assistant', 'config.json'), JSON.stringify({ model: 'from-file', timeoutSeconds: 30 }));
    writeFileSync(join(home.root, '.env'), 'ASSISTANT_SYSTEM=from dotenv\n');
    const result = await home.run(['config'], { env: { ASSISTANT_TRUST_DOTENV: '1' } });

    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(PLANTED_KEY);
    const line = (key: string): string => result.stdout.split('\n').find((row) => row.startsWith(`${key} `)) ?? '';
    expect(line('apiKey')).toMatch(/\(set, redacted\)\s+OPENAI_API_KEY\s+environment$/);
    expect(line('model')).toMatch(/from-file\s+ASSISTANT_MODEL\s+config file$/);
    expect(line('timeoutSeconds')).toMatch(/30\s+TIMEOUT\s+config file$/);
    expect(line('system')).toMatch(/from dotenv\s+ASSISTANT_SYSTEM\s+\.env$/);
    expect(line('baseURL')).toContain(server.url);
    if (!home.isPostgres) expect(line('databaseUrl')).toMatch(/assistant\.db\s+DATABASE_URL\s+default$/);
    else expect(line('databaseUrl')).toMatch(/^databaseUrl\s+postgres:\/\/assistant_test:redacted@.*DATABASE_URL\s+environment$/);
    expect(line('temperature')).toMatch(/\(unset\)\s+ASSISTANT_TEMPERATURE\s+default$/);

    const json = JSON.parse((await home.run(['config', '--json'])).stdout);
    expect(json.settings.apiKey).toEqual({ value: '(set, redacted)', source: 'environment', variable: 'OPENAI_API_KEY' });
    expect(JSON.stringify(json)).not.toContain(PLANTED_KEY);
  });

  it('config redacts a database password', async () => {
    const result = await home.run(['config'], { env: { DATABASE_URL: 'postgres://me:hunter2@db.example/assistant' } });
    expect(result.stdout).toContain('postgres://me:redacted@db.example/assistant');
    expect(result.stdout).not.toContain('hunter2');
  });

  it('a broken config file is a one-line error naming the file', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(home.configDirectory, 'assistant'), { recursive: true });
    writeFileSync(join(home.configDirectory, 'assistant', 'config.json'), '{"modle": "x"}');
    const result = await home.run(['ask', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: .*config\.json has unknown setting\(s\) modle; known: .*model/);
    expect(server.requests).toHaveLength(0);
  });

  it.skipIf(TEST_STORE === 'postgres')('DATABASE_URL chooses the SQLite file (plain path, sqlite: and file: URLs) [runs in the sqlite project; skipped where DATABASE_URL is PostgreSQL]', async () => {
    const plain = join(home.root, 'plain.db');
    const sqlite = join(home.root, 'sqlite.db');
    const file = join(home.root, 'file.db');
    await home.run(['ask', 'a'], { env: { DATABASE_URL: plain } });
    await home.run(['ask', 'b'], { env: { DATABASE_URL: `sqlite://${sqlite}` } });
    await home.run(['ask', 'c'], { env: { DATABASE_URL: `file://${file}` } });
    expect(messageRows(plain)[0]!.content).toBe('a');
    expect(messageRows(sqlite)[0]!.content).toBe('b');
    expect(messageRows(file)[0]!.content).toBe('c');
  });
});

describe('help and version', () => {
  it.each([['--help'], ['ask', '--help'], ['history', '--help'], ['cache', '--help'], ['config', '--help']])('%s explains itself with examples', async (...args) => {
    const result = await home.run(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: assistant');
    expect(result.stdout).toContain('Examples:');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const result = await home.run(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});
