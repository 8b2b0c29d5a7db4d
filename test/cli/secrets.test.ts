/** A planted API key must not appear anywhere: output, errors, debug traces, the store, cache keys. */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { PLANTED_KEY, TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe('secrets', () => {
  it('the planted key appears in no output, error, debug trace, table or cache key', async () => {
    const env = { DEBUG: '1', ASSISTANT_MAX_RETRIES: '0' };
    const outputs: string[] = [];
    const run = async (args: string[], input?: string): Promise<void> => {
      const result = await home.run(args, { env, ...(input === undefined ? {} : { input }) });
      outputs.push(result.stdout, result.stderr);
    };
    await run(['ask', 'hello']);
    await run(['ask', 'hello']);
    server.enqueue({ status: 401, errorMessage: `Incorrect API key provided: ${PLANTED_KEY}.` });
    await run(['ask', 'again']);
    server.enqueue({ status: 500, errorMessage: `internal: key=${PLANTED_KEY}` });
    await run(['ask', 'once more']);
    await run(['talk', '--text', '--mute'], 'typed\n');
    server.enqueue({ status: 500, errorMessage: `talk failure: ${PLANTED_KEY}` });
    await run(['talk', '--text', '--mute'], 'fails\n');
    for (const args of [['config'], ['config', '--json'], ['history', '--json'], ['stats', '--json'], ['log', '--json'], ['cache', 'stats', '--json']]) await run(args);
    // An unexpected crash path: a config file that makes a setting fail to parse, with DEBUG on.
    const everything = outputs.join('\n');
    expect(everything).toContain('rejected the API key');
    expect(everything).toMatch(/\n\s+at /); // DEBUG traces were printed...
    expect(everything).not.toContain(PLANTED_KEY); // ...with the key scrubbed from all of them

    for (const table of ['sessions', 'messages', 'cache', 'turns', 'requests']) {
      expect(JSON.stringify(await home.rows(`SELECT * FROM ${table}`)), table).not.toContain(PLANTED_KEY);
    }
    if (!home.isPostgres) expect(readFileSync(home.databasePath).includes(PLANTED_KEY)).toBe(false);
  });

  it('warns when a .env holding secrets is readable by others', async () => {
    writeFileSync(`${home.root}/.env`, `OPENAI_API_KEY=${PLANTED_KEY}\n`);
    chmodSync(`${home.root}/.env`, 0o644);
    const open = await home.run(['config']);
    expect(open.stderr).toMatch(/Warning: .*\.env holds secrets \(OPENAI_API_KEY\) and others can read it \(mode 644\)\. Run: chmod 600 /);
    chmodSync(`${home.root}/.env`, 0o600);
    expect((await home.run(['config'])).stderr).not.toContain('Warning');
  });

  it.each([
    ['DATABASE_URL', 'postgres://me:pa#ss-HIDDEN@db.example/assistant'],
    ['DATABASE_URL', 'postgres://me:pa/ss-HIDDEN@db.example/assistant'],
    ['DATABASE_URL', 'postgres://me:pa?ss-HIDDEN@db.example/assistant'],
    ['DATABASE_URL', 'postgres://me:123#456-HIDDEN@db.example/assistant'],
    ['DATABASE_URL', 'postgres://me:ss-HIDDEN@db.example:99999/assistant'],
    ['OPENAI_BASE_URL', 'https://me:ss-HIDDEN@proxy.example/v1'],
    ['ASSISTANT_STT_BASE_URL', 'https://me:ss-HIDDEN@proxy.example/v1'],
    ['ASSISTANT_TTS_BASE_URL', 'https://me:ss-HIDDEN@proxy.example/v1'],
  ])('config never prints the password in %s=%s, parseable or not', async (variable, value) => {
    for (const args of [['config'], ['config', '--json']]) {
      const result = await home.run(args, { env: { [variable]: value } });
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toContain('HIDDEN');
      expect(result.stdout + result.stderr).toContain('me:redacted@');
    }
  });

  it('a DATABASE_URL that does not parse is named, with a hint, and no password', async () => {
    const result = await home.run(['history'], { env: { DATABASE_URL: 'postgres://me:pa#ss-HIDDEN@db.example/assistant' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error: DATABASE_URL is not a valid PostgreSQL URL (the password may need percent-encoding: # / ? @ :): postgres://me:redacted@db.example/assistant\n');
  });

  it('an OPENAI_BASE_URL that does not parse is named, and its password not echoed', async () => {
    const result = await home.run(['ask', 'hi'], { env: { OPENAI_BASE_URL: 'https://me:pa/ss-HIDDEN@proxy.example/v1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error: OPENAI_BASE_URL is not a valid URL (the password may need percent-encoding: # / ? @ :); got "https://me:redacted@proxy.example/v1".\n');
  });
});
