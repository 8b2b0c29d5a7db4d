/**
 * `assistant token create | list | revoke` as a person runs them, on SQLite and (in the
 * postgres project) PostgreSQL: the secret is printed once on stdout and nowhere else, the
 * store holds only its hash, and mistakes are clear errors with the right exit codes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import type { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

interface TokenRow {
  name: string;
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  requests_per_minute: number | null;
  tokens_per_day: number | null;
}

const tokenRows = (): Promise<TokenRow[]> => home.rows<TokenRow>('SELECT * FROM tokens ORDER BY created_at, name');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Every value of every table of the store as text (blobs read as Latin-1), and for SQLite the raw bytes of the file and its WAL. */
async function everythingStored(): Promise<string> {
  const tables = home.isPostgres
    ? await home.rows<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
    : await home.rows<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'");
  expect(tables.map((table) => table.name)).toContain('tokens');
  const parts: string[] = [];
  for (const { name } of tables) {
    for (const row of await home.rows(`SELECT * FROM "${name}"`)) {
      for (const value of Object.values(row)) parts.push(Buffer.isBuffer(value) ? value.toString('latin1') : String(value));
    }
  }
  if (!home.isPostgres) {
    for (const file of [home.databasePath, `${home.databasePath}-wal`]) if (existsSync(file)) parts.push(readFileSync(file).toString('latin1'));
  }
  return parts.join('\n');
}

describe('assistant token create', () => {
  it('prints the secret once, alone on stdout, and stores only its hash, with the limits', async () => {
    // Something in every other table too, so the scan below reads a store in use.
    expect((await home.run(['ask', '--cache', 'hello'])).code).toBe(0);
    const result = await home.run(['token', 'create', '--name', 'alice', '--requests-per-minute', '60', '--tokens-per-day', '5000000000']);
    expect(result.code).toBe(ExitCode.Success);
    // Only the secret and a newline: `$(assistant token create --name alice)` is the secret.
    expect(result.stdout).toMatch(/^ast_[0-9A-Za-z]{32}\n$/);
    const secret = result.stdout.trim();
    expect(result.stderr).toContain('Created the token "alice" (at most 60 requests a minute, at most 5000000000 tokens a day)');
    expect(result.stderr).toContain('shown this once only');
    expect(result.stderr).toContain('Authorization: Bearer <token>');
    expect(result.stderr).toContain('OPENAI_API_KEY');
    expect(result.stderr).not.toContain(secret);

    const [row, ...others] = await tokenRows();
    expect(others).toEqual([]);
    expect(row).toMatchObject({ name: 'alice', hash: sha256(secret), last_used_at: null, revoked_at: null, requests_per_minute: 60, tokens_per_day: 5_000_000_000 });
    const stored = await everythingStored();
    expect(stored).toContain(sha256(secret));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.slice(4));
    expect(server.requests.filter((request) => JSON.stringify(request).includes(secret))).toEqual([]);
  });

  it('gives each token its own secret; limits are optional', async () => {
    const first = await home.run(['token', 'create', '--name', 'alice']);
    const second = await home.run(['token', 'create', '--name', 'bob.smith-2_x']);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(first.stdout).not.toBe(second.stdout);
    expect(first.stderr).toContain('(no request limit, no token limit)');
    expect((await tokenRows()).map((row) => [row.name, row.hash, row.requests_per_minute, row.tokens_per_day])).toEqual([
      ['alice', sha256(first.stdout.trim()), null, null],
      ['bob.smith-2_x', sha256(second.stdout.trim()), null, null],
    ]);
  });

  it('refuses a name taken already (even by a revoked token): exit 1, no secret printed, the first token kept', async () => {
    const first = await home.run(['token', 'create', '--name', 'alice']);
    const again = await home.run(['token', 'create', '--name', 'alice']);
    expect(again).toMatchObject({ code: ExitCode.Failure, stdout: '' });
    expect(again.stderr).toMatch(/^Error: A token named "alice" exists already \(see assistant token list\)\. Choose another name\.\n$/);
    expect(await home.run(['token', 'revoke', 'alice'])).toMatchObject({ code: 0 });
    expect(await home.run(['token', 'create', '--name', 'alice'])).toMatchObject({ code: ExitCode.Failure, stdout: '' });
    expect((await tokenRows()).map((row) => row.hash)).toEqual([sha256(first.stdout.trim())]);
  });

  it.each([
    [['--name', ''], /--name must be 1 to 64 letters, digits, dots, dashes or underscores \(got ""\)/],
    [['--name', 'a'.repeat(65)], /--name must be 1 to 64/],
    [['--name', 'alice smith'], /--name must be 1 to 64 .*\(got "alice smith"\)/],
    [['--name', 'al/ice'], /--name must be 1 to 64/],
    [['--name', 'élise'], /--name must be 1 to 64/],
    [['--name', 'alice', '--requests-per-minute', '0'], /--requests-per-minute must be a whole number from 1 to 2147483647 \(got "0"\)/],
    [['--name', 'alice', '--requests-per-minute', '-5'], /--requests-per-minute must be a whole number/],
    [['--name', 'alice', '--requests-per-minute', '2147483648'], /--requests-per-minute must be a whole number from 1 to 2147483647/],
    [['--name', 'alice', '--tokens-per-day', '1.5'], /--tokens-per-day must be a whole number from 1 to 9007199254740991 \(got "1\.5"\)/],
    [['--name', 'alice', '--tokens-per-day', 'lots'], /--tokens-per-day must be a whole number/],
    [['--name', 'alice', '--tokens-per-day', '1e6'], /--tokens-per-day must be a whole number/],
    [[], /required option '--name <name>' not specified/],
  ])('refuses %j as a usage error (exit 2), creating nothing', async (flags, message) => {
    const result = await home.run(['token', 'create', ...flags]);
    expect(result).toMatchObject({ code: ExitCode.Usage, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(await home.run(['token', 'list', '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });
  });
});

describe('assistant token list', () => {
  it('shows name, created, last used, revoked and limits, never a secret or a hash', async () => {
    const alice = await home.run(['token', 'create', '--name', 'alice', '--requests-per-minute', '30']);
    const bob = await home.run(['token', 'create', '--name', 'bob', '--tokens-per-day', '200000']);
    await home.run(['token', 'revoke', 'bob']);
    const stored = await tokenRows();

    const table = await home.run(['token', 'list']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CREATED\s+LAST USED\s+REVOKED\s+REQUESTS\/MIN\s+TOKENS\/DAY$/);
    expect(lines[1]).toMatch(/^alice\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-\s+-\s+30\s+-$/);
    expect(lines[2]).toMatch(/^bob\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-\s+200000$/);
    expect(lines).toHaveLength(3);

    const json = await home.run(['token', 'list', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(listed).toEqual([
      { id: expect.any(String), name: 'alice', createdAt: new Date(stored[0]!.created_at).toISOString(), lastUsedAt: null, revokedAt: null, requestsPerMinute: 30, tokensPerDay: null },
      { id: expect.any(String), name: 'bob', createdAt: new Date(stored[1]!.created_at).toISOString(), lastUsedAt: null, revokedAt: new Date(stored[1]!.revoked_at!).toISOString(), requestsPerMinute: null, tokensPerDay: 200000 },
    ]);
    for (const output of [table.stdout, json.stdout]) {
      for (const secret of [alice.stdout.trim(), bob.stdout.trim()]) {
        expect(output).not.toContain(secret);
        expect(output).not.toContain(sha256(secret));
      }
      expect(output).not.toMatch(/hash/i);
    }
  });

  it('says how to create one when there is none', async () => {
    expect(await home.run(['token', 'list'])).toEqual({ code: 0, signal: null, stdout: '', stderr: 'No tokens yet. Create one with: assistant token create --name <name>\n' });
  });
});

describe('assistant token revoke', () => {
  it('marks the token revoked, keeping it listed; a second revoke keeps the first time', async () => {
    await home.run(['token', 'create', '--name', 'alice']);
    await home.run(['token', 'create', '--name', 'bob']);
    const result = await home.run(['token', 'revoke', 'alice']);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toContain('Revoked the token "alice"');
    const [alice, bob] = await tokenRows();
    expect(alice!.revoked_at).toEqual(expect.any(Number));
    expect(bob!.revoked_at).toBeNull();
    expect(await home.run(['token', 'revoke', 'alice'])).toMatchObject({ code: 0 });
    expect((await tokenRows())[0]!.revoked_at).toBe(alice!.revoked_at);
  });

  it('fails with exit 1 and a clear error for a name no token has', async () => {
    await home.run(['token', 'create', '--name', 'alice']);
    const result = await home.run(['token', 'revoke', 'alicia']);
    expect(result).toEqual({ code: ExitCode.Failure, signal: null, stdout: '', stderr: 'Error: No token named "alicia". List tokens with: assistant token list\n' });
    expect((await tokenRows())[0]!.revoked_at).toBeNull();
  });

  it('needs a name (usage error, exit 2)', async () => {
    const result = await home.run(['token', 'revoke']);
    expect(result).toMatchObject({ code: ExitCode.Usage, stdout: '' });
    expect(result.stderr).toMatch(/missing required argument 'name'/);
  });
});
