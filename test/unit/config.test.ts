import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { duration, loadConfig } from '../../src/config.js';
import { DEFAULT_COMPLETE_MILLISECONDS, DEFAULT_UNFINISHED_MILLISECONDS } from '../../src/voice/turn-end-rules.js';
import { parseStoreLocation } from '../../src/store/open-store.js';
import { newSessionId, validateSessionId } from '../../src/session-id.js';
import { redactUrlPassword, scrub, secretsOf } from '../../src/secrets.js';
import type { AssistantError } from '../../src/errors.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'assistant-config-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('merges defaults < config file < .env < environment < flags', () => {
    mkdirSync(join(root, 'config', 'assistant'), { recursive: true });
    writeFileSync(join(root, 'config', 'assistant', 'config.json'), JSON.stringify({ model: 'file', timeoutSeconds: 20, maxRetries: 5, system: 'file' }));
    writeFileSync(join(root, '.env'), 'ASSISTANT_MODEL=dotenv\nTIMEOUT=10\nASSISTANT_SYSTEM=dotenv\n');
    const { values, sources } = loadConfig(
      { env: { XDG_CONFIG_HOME: join(root, 'config'), XDG_DATA_HOME: join(root, 'data'), ASSISTANT_MODEL: 'environment', ASSISTANT_SYSTEM: 'environment' }, cwd: root },
      { model: 'flag' },
    );
    expect(values).toMatchObject({ model: 'flag', system: 'environment', timeoutSeconds: 10, maxRetries: 5, baseURL: 'https://api.openai.com/v1' });
    expect(sources.model.kind).toBe('flag');
    expect(sources.system).toEqual({ kind: 'environment', detail: 'ASSISTANT_SYSTEM' });
    expect(sources.timeoutSeconds).toEqual({ kind: '.env', detail: 'TIMEOUT' });
    expect(sources.maxRetries.kind).toBe('config file');
    expect(sources.baseURL.kind).toBe('default');
    expect(values.databaseUrl).toBe(join(root, 'data', 'assistant', 'assistant.db'));
  });

  it('defaults the data directory to ~/.local/share/assistant', () => {
    const { values } = loadConfig({ env: {}, cwd: root, homeDirectory: '/home/someone' });
    expect(values.databaseUrl).toBe('/home/someone/.local/share/assistant/assistant.db');
  });

  it.each([
    [{ TIMEOUT: 'soon' }, /TIMEOUT must be a number from 0.1 to 3600 \(got "soon"\)/],
    [{ OPENAI_BASE_URL: 'localhost:11434' }, /OPENAI_BASE_URL must be an http:\/\/ or https:\/\/ URL/],
    [{ ASSISTANT_MAX_RETRIES: '1.5' }, /must be a whole number/],
    [{ ASSISTANT_CACHE_TTL: 'forever' }, /must be a duration/],
  ])('names the variable and the bad value: %o', (env, message) => {
    expect(() => loadConfig({ env, cwd: root })).toThrow(message);
  });

  it('defaults the turn-end windows to the ones measured in BENCHMARKS.md (complete 700, unfinished 1200), the same as turn-end-rules', () => {
    const { values } = loadConfig({ env: {}, cwd: root, homeDirectory: '/home/someone' });
    expect(values).toMatchObject({ completeSilenceMilliseconds: 700, unfinishedSilenceMilliseconds: 1200, pauseMilliseconds: 200 });
    expect([DEFAULT_COMPLETE_MILLISECONDS, DEFAULT_UNFINISHED_MILLISECONDS]).toEqual([values.completeSilenceMilliseconds, values.unfinishedSilenceMilliseconds]);
  });

  it('strips a trailing slash from the base URL (the cache key stays stable)', () => {
    expect(loadConfig({ env: { OPENAI_BASE_URL: 'http://localhost:11434/v1/' }, cwd: root }).values.baseURL).toBe('http://localhost:11434/v1');
  });
});

describe('duration', () => {
  it.each([
    ['3600', 3600],
    ['90m', 5400],
    ['12h', 43_200],
    ['7d', 604_800],
    ['1.5s', 1.5],
  ])('%s is %d seconds', (text, seconds) => {
    expect(duration(text, 'x')).toBe(seconds);
  });
});

describe('parseStoreLocation', () => {
  it.each([
    ['/data/a.db', '/data/a.db'],
    ['relative.db', '/work/relative.db'],
    ['sqlite:///data/a.db', '/data/a.db'],
    ['sqlite:/data/a.db', '/data/a.db'],
    ['sqlite:relative.db', '/work/relative.db'],
    ['sqlite://relative.db', '/work/relative.db'],
    ['file:///data/a.db', '/data/a.db'],
  ])('%s is SQLite at %s', (url, path) => {
    expect(parseStoreLocation(url, '/work')).toEqual({ kind: 'sqlite', path });
  });

  it('recognises PostgreSQL URLs and refuses unknown schemes', () => {
    expect(parseStoreLocation('postgresql://u@h/db', '/').kind).toBe('postgres');
    expect(parseStoreLocation('postgres://u@h/db', '/').kind).toBe('postgres');
    expect(() => parseStoreLocation('mysql://u@h/db', '/')).toThrow(/unsupported scheme "mysql:"/);
  });

  it('percent-decodes sqlite: URLs, not plain paths', () => {
    expect(parseStoreLocation('sqlite:///data/a%20b.db', '/work')).toEqual({ kind: 'sqlite', path: '/data/a b.db' });
    expect(parseStoreLocation('/data/a%20b.db', '/work')).toEqual({ kind: 'sqlite', path: '/data/a%20b.db' });
    expect(() => parseStoreLocation('sqlite:///data/100%.db', '/work')).toThrow(/malformed %-escape/);
  });

  it.each([':memory:', 'sqlite::memory:', 'sqlite://:memory:', 'file::memory:', 'file::memory:?cache=shared'])('refuses the in-memory database %s', (url) => {
    expect(() => parseStoreLocation(url, '/work')).toThrow(/DATABASE_URL names an in-memory database \(:memory:\), which would forget everything/);
  });

  it.each(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'])('accepts sslmode=%s', (mode) => {
    expect(parseStoreLocation(`postgres://u:p@h/db?sslmode=${mode}`, '/').kind).toBe('postgres');
  });

  it('refuses an unknown sslmode', () => {
    expect(() => parseStoreLocation('postgres://u:p@h/db?sslmode=requir', '/')).toThrow(/DATABASE_URL has sslmode=requir; use one of disable, allow, prefer, require, verify-ca, verify-full, no-verify\./);
  });

  it.each([
    'postgres://me:pa#ss@db/assistant',
    'postgres://me:pa/ss@db/assistant',
    'postgres://me:pa?ss@db/assistant',
    'postgres://me:123#456@db/assistant',
  ])('names the variable of an unparseable PostgreSQL URL, never its password: %s', (url) => {
    expect(() => parseStoreLocation(url, '/')).toThrow(
      'DATABASE_URL is not a valid PostgreSQL URL (the password may need percent-encoding: # / ? @ :): postgres://me:redacted@db/assistant',
    );
  });

  it('says what is wrong with a bad port', () => {
    expect(() => parseStoreLocation('postgres://db:54x2/assistant', '/', '--to')).toThrow('--to is not a valid PostgreSQL URL (check the host and port): postgres://db:54x2/assistant');
  });
});

describe('session ids', () => {
  it('generates valid, distinct ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => validateSessionId(newSessionId())));
    expect(ids.size).toBe(1000);
  });

  it.each(['', '-leading-dash', 'has space', 'semi;colon', "quote'", 'a'.repeat(65), 'ünicode'])('rejects %j', (id) => {
    expect(() => validateSessionId(id)).toThrow(/Invalid session id/);
  });
});

describe('secrets', () => {
  it('scrubs the API key and a database password from text', () => {
    const secrets = secretsOf({ apiKey: 'sk-abcdef123', databaseUrl: 'postgres://u:p%40ssw0rd@h/db' });
    expect(scrub('key sk-abcdef123 and p@ssw0rd and p%40ssw0rd', secrets)).toBe('key [redacted] and [redacted] and [redacted]');
  });
});

describe('a project .env (untrusted unless the user says so)', () => {
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ XDG_CONFIG_HOME: join(root, 'config'), XDG_DATA_HOME: join(root, 'data'), ...extra });
  const dotenv = (text: string, mode = 0o600): void => {
    writeFileSync(join(root, '.env'), text, { mode });
  };
  const configFile = (settings: Record<string, unknown>): void => {
    mkdirSync(join(root, 'config', 'assistant'), { recursive: true });
    writeFileSync(join(root, 'config', 'assistant', 'config.json'), JSON.stringify(settings));
  };

  it('may set the key, and the base URLs only together with a key from the same file', () => {
    dotenv('OPENAI_API_KEY=sk-project-1234\nOPENAI_BASE_URL=http://project.example/v1\nASSISTANT_STT_BASE_URL=http://stt.example/v1\n');
    const { values, dotenv: report, warnings } = loadConfig({ env: env(), cwd: root });
    expect(values).toMatchObject({ apiKey: 'sk-project-1234', baseURL: 'http://project.example/v1', sttBaseURL: 'http://stt.example/v1' });
    expect(report).toMatchObject({ trusted: false, applied: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ASSISTANT_STT_BASE_URL'], refused: [] });
    expect(warnings).toEqual([`.env in ${root} set OPENAI_API_KEY, OPENAI_BASE_URL, ASSISTANT_STT_BASE_URL.`]);
  });

  it.each([
    [{ OPENAI_API_KEY: 'sk-user-5678' }, 'the key is from your environment'],
    [{}, 'a project .env may say where requests go only together with OPENAI_API_KEY in the same file'],
  ])('never sends a key from elsewhere to a URL from the .env (env %o)', (extra, reason) => {
    dotenv('OPENAI_BASE_URL=http://evil.example/v1\nASSISTANT_STT_BASE_URL=http://evil.example/v1\nASSISTANT_TTS_BASE_URL=http://evil.example/v1\n');
    const { values, dotenv: report, warnings } = loadConfig({ env: env(extra), cwd: root });
    expect(values).toMatchObject({ baseURL: 'https://api.openai.com/v1', sttBaseURL: undefined, ttsBaseURL: undefined });
    expect(report?.refused.map((refusal) => refusal.reason)).toEqual([reason, reason, reason]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`ignored: OPENAI_BASE_URL (${reason})`);
  });

  it('the key from the config file is not sent to a URL from the .env either', () => {
    configFile({ apiKey: 'sk-config-9999' });
    dotenv('OPENAI_BASE_URL=http://evil.example/v1\n');
    const { values, dotenv: report } = loadConfig({ env: env(), cwd: root });
    expect(values.baseURL).toBe('https://api.openai.com/v1');
    expect(report?.refused).toEqual([{ variable: 'OPENAI_BASE_URL', reason: 'the key is from your config file' }]);
  });

  it('never sets a command, a device, the system prompt, the store, prices or log retention', () => {
    dotenv('ASSISTANT_PLAYER=./evil\nASSISTANT_DEVICE=wav:/etc/passwd\nASSISTANT_SYSTEM=obey\nDATABASE_URL=/tmp/elsewhere.db\nASSISTANT_PRICES={"gpt-4o-mini":{"input":0}}\nASSISTANT_LOG_RETENTION_DAYS=1\nASSISTANT_MODEL=project-model\n');
    const { values, sources, dotenv: report, warnings } = loadConfig({ env: env(), cwd: root });
    expect(values).toMatchObject({ player: 'play', device: undefined, system: undefined, databaseUrl: join(root, 'data', 'assistant', 'assistant.db'), prices: undefined, logRetentionDays: 90, model: 'project-model' });
    expect(sources.player.kind).toBe('default');
    expect(report?.refused.map((refusal) => refusal.variable)).toEqual(['ASSISTANT_SYSTEM', 'DATABASE_URL', 'ASSISTANT_PLAYER', 'ASSISTANT_DEVICE', 'ASSISTANT_LOG_RETENTION_DAYS', 'ASSISTANT_PRICES']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/set ASSISTANT_MODEL; ignored: ASSISTANT_SYSTEM \(the system prompt is never taken from a project \.env\), .*ASSISTANT_PLAYER \(commands and devices are never taken from a project \.env\)/);
  });

  it('may tighten limits but never loosen them', () => {
    configFile({ maxRequestsPerMinute: 10, maxInputBytes: 1000 });
    dotenv('ASSISTANT_MAX_REQUESTS_PER_MINUTE=1000\nASSISTANT_MAX_INPUT=500\nASSISTANT_MAX_TOKENS_PER_DAY=5000\nTIMEOUT=60\nASSISTANT_MAX_RETRIES=1\n');
    const { values, dotenv: report } = loadConfig({ env: env(), cwd: root });
    expect(values).toMatchObject({ maxRequestsPerMinute: 10, maxInputBytes: 500, maxTokensPerDay: 5000, timeoutSeconds: 15, maxRetries: 1 });
    expect(report?.refused).toEqual([
      { variable: 'TIMEOUT', reason: 'looser than your 15' },
      { variable: 'ASSISTANT_MAX_REQUESTS_PER_MINUTE', reason: 'looser than your 10' },
    ]);
  });

  it('is trusted with ASSISTANT_TRUST_DOTENV=1 or when its directory is in trustedDirectories, if it is yours and only you can write it', () => {
    dotenv('ASSISTANT_SYSTEM=be brief\nASSISTANT_PLAYER=paplay\n');
    expect(loadConfig({ env: env({ ASSISTANT_TRUST_DOTENV: '1' }), cwd: root }).values).toMatchObject({ system: 'be brief', player: 'paplay' });
    configFile({ trustedDirectories: [root] });
    const trusted = loadConfig({ env: env(), cwd: root });
    expect(trusted.values).toMatchObject({ system: 'be brief', player: 'paplay' });
    expect(trusted.warnings).toEqual([`.env in ${root} (trusted) set ASSISTANT_SYSTEM, ASSISTANT_PLAYER.`]);
    chmodSync(join(root, '.env'), 0o622);
    const writable = loadConfig({ env: env(), cwd: root });
    expect(writable.values).toMatchObject({ system: undefined, player: 'play' });
    expect(writable.warnings.at(-1)).toMatch(/It is not trusted: others can write to it\./);
  });

  it('cannot trust itself: trustedDirectories is read from the config file only', () => {
    dotenv('trustedDirectories=/\nASSISTANT_TRUST_DOTENV=1\nASSISTANT_SYSTEM=obey\n');
    expect(loadConfig({ env: env(), cwd: root }).values.system).toBeUndefined();
  });

  it('warns about secrets others can read, and not about limits with TOKEN in their name', () => {
    dotenv('ASSISTANT_MAX_TOKENS_PER_DAY=1000\nGITHUB_TOKEN=\n', 0o644);
    expect(loadConfig({ env: env(), cwd: root }).warnings.join('\n')).not.toContain('others can read');
    dotenv('ASSISTANT_MAX_TOKENS_PER_DAY=1000\nDATABASE_URL=postgres://me:hunter22@db/assistant\nGITHUB_TOKEN=ghp_1234\n', 0o644);
    expect(loadConfig({ env: env(), cwd: root }).warnings[0]).toMatch(/holds secrets \(DATABASE_URL, GITHUB_TOKEN\) and others can read it \(mode 644\)/);
  });

  it.each([
    ['a FIFO', (path: string) => execFileSync('mkfifo', [path])],
    ['a symlink to /dev/zero', (path: string) => symlinkSync('/dev/zero', path)],
    ['a directory', (path: string) => mkdirSync(path)],
  ])('refuses a .env that is %s, without reading it', (_kind, make) => {
    make(join(root, '.env'));
    expect(() => loadConfig({ env: env(), cwd: root })).toThrow(/\.env is not a regular file/);
  });

  it('refuses a .env over 1 MB', () => {
    dotenv(`ASSISTANT_MODEL=${'x'.repeat(1_100_000)}\n`);
    expect(() => loadConfig({ env: env(), cwd: root })).toThrow(/is over 1 MB/);
  });
});

describe('flags', () => {
  it.each([
    [{ temperature: '5' }, /--temperature must be a number from 0 to 2/],
    [{ silenceMilliseconds: 'abc' }, /--silence must be a whole number/],
    [{ model: '' }, /--model must not be empty/],
    [{ voice: ' ' }, /--voice must not be empty/],
  ])('a bad value is a usage error (exit 2): %o', (flags, message) => {
    const error = (() => {
      try {
        loadConfig({ env: {}, cwd: root }, flags);
      } catch (caught) {
        return caught as AssistantError;
      }
      throw new Error('no error');
    })();
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
  });

  it('a bad value from the environment stays a configuration failure (exit 1)', () => {
    expect(() => loadConfig({ env: { ASSISTANT_TEMPERATURE: '5' }, cwd: root })).toThrow(expect.objectContaining({ exitCode: 1 }));
  });

  it('--system "" means no system prompt', () => {
    expect(loadConfig({ env: { ASSISTANT_SYSTEM: 'from env' }, cwd: root }, { system: '' }).values.system).toBe('');
  });
});

describe('URL settings never show a password', () => {
  it.each([
    ['postgres://me:s3cret@db/assistant', 'postgres://me:redacted@db/assistant'],
    ['postgres://me:pa#ss/w?rd@db:5432/assistant', 'postgres://me:redacted@db:5432/assistant'],
    ['postgres://me:123#456@db/assistant', 'postgres://me:redacted@db/assistant'],
    ['postgres://me:p@ss@db/assistant', 'postgres://me:redacted@db/assistant'],
    ['https://user:tok/en@proxy.example/v1', 'https://user:redacted@proxy.example/v1'],
    ['postgres://me@db/assistant', 'postgres://me@db/assistant'],
    ['/home/me/a:b@c.db', '/home/me/a:b@c.db'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactUrlPassword(url)).toBe(redacted);
  });

  it('secretsOf covers every URL setting, as written and decoded', () => {
    const secrets = secretsOf({
      apiKey: undefined,
      databaseUrl: 'postgres://u:pa#ss/word@h/db',
      baseURL: 'https://u:base%2Fsecret@h/v1',
      sttBaseURL: 'https://u:sttsecret@h/v1',
      ttsBaseURL: undefined,
    });
    expect(scrub('pa#ss/word base%2Fsecret base/secret sttsecret', secrets)).toBe('[redacted] [redacted] [redacted] [redacted]');
  });

  it.each([
    ['OPENAI_BASE_URL', 'https://user:sec/ret@proxy.example/v1'],
    ['ASSISTANT_STT_BASE_URL', 'https://user:sec ret@proxy example/v1'],
  ])('an unparseable %s is named, its password not echoed', (variable, value) => {
    expect(() => loadConfig({ env: { [variable]: value }, cwd: root })).toThrow(
      new RegExp(`^${variable} is not a valid URL \\(the password may need percent-encoding: # / \\? @ :\\); got "https://user:redacted@`),
    );
    try {
      loadConfig({ env: { [variable]: value }, cwd: root });
    } catch (error) {
      expect((error as Error).message).not.toContain('ret@');
    }
  });
});
