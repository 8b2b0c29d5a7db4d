import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { duration, loadConfig } from '../../src/config.js';
import { parseStoreLocation } from '../../src/store/open-store.js';
import { newSessionId, validateSessionId } from '../../src/session-id.js';
import { scrub, secretsOf } from '../../src/secrets.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'assistant-config-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('merges defaults < config file < .env < environment < flags', () => {
    mkdirSync(join(root, 'config', 'assistant'), { recursive: true });
    writeFileSync(join(root, 'config', 'assistant', 'config.json'), JSON.stringify({ model: 'file', timeoutSeconds: 20, maxRetries: 5, system: 'file' }));
    writeFileSync(join(root, '.env'), 'ASSISTANT_MODEL=dotenv\nTIMEOUT=25\nASSISTANT_SYSTEM=dotenv\n');
    const { values, sources } = loadConfig(
      { env: { XDG_CONFIG_HOME: join(root, 'config'), XDG_DATA_HOME: join(root, 'data'), ASSISTANT_MODEL: 'environment', ASSISTANT_SYSTEM: 'environment' }, cwd: root },
      { model: 'flag' },
    );
    expect(values).toMatchObject({ model: 'flag', system: 'environment', timeoutSeconds: 25, maxRetries: 5, baseURL: 'https://api.openai.com/v1' });
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
