/**
 * `--help` of every command and subcommand: it names the command's options and shows
 * examples, the environment variables it names are ones the configuration reads, and
 * asking for help (or a cached answer) loads no more than it needs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TEST_STORE, type TempHome } from '../support/cli.js';
import { ExitCode } from '../../src/errors.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/** Each command's words, and the options its help must name. */
const COMMANDS: Array<[string[], string[]]> = [
  [[], ['--version', '--help']],
  [['ask'], ['--session', '--continue', '--role', '--system', '--model', '--temperature', '--cache', '--no-cache', '--retry', '--no-stream', '--json', '--speak', '--audio', '--player', '--voice', '--max-input', '--wait']],
  [
    ['talk'],
    ['--session', '--continue', '--text', '--mute', '--push-to-talk', '--barge-in', '--device', '--player', '--voice', '--speed', '--stt-model', '--tts-model', '--language', '--silence', '--role', '--system', '--model', '--temperature', '--keep-audio', '--cache', '--no-cache', '--verbose'],
  ],
  [['chat'], ['--session', '--continue', '--role', '--system', '--model', '--temperature', '--cache', '--no-cache']],
  [['history'], ['--session', '--search', '--delete', '--yes', '--limit', '--format', '--last', '--json']],
  [['cache'], ['stats', 'clear']],
  [['cache', 'stats'], ['--json']],
  [['cache', 'clear'], ['--json']],
  [['stats'], ['--since', '--session', '--model', '--token', '--json']],
  [['log'], ['--limit', '--errors', '--token', '--json']],
  [['db'], ['copy']],
  [['db', 'copy'], ['--from', '--to', '--cache', '--json']],
  [['token'], ['create', 'list', 'revoke']],
  [['token', 'create'], ['--name', '--requests-per-minute', '--tokens-per-day']],
  [['token', 'list'], ['--json']],
  [['token', 'revoke'], []],
  [['config'], ['--json', 'set', 'unset', 'edit']],
  [['config', 'set'], ['key', 'value']],
  [['config', 'unset'], ['key']],
  [['config', 'edit'], []],
  [['roles'], ['--json']],
  [['doctor'], ['--device', '--player', '--model', '--stt-model', '--tts-model', '--json']],
  [['serve'], ['--host', '--port', '--tls-cert', '--tls-key']],
  [['completion'], ['bash, zsh or fish']],
  [['say'], ['--out', '--player', '--voice', '--speed', '--tts-model', '--no-cache']],
  [['transcribe'], ['--stt-model', '--language', '--no-cache', '--json']],
];

async function help(words: string[]): Promise<string> {
  const result = await home.run([...words, '--help']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return result.stdout;
}

describe('help beside every command', () => {
  it.each(COMMANDS)('assistant %j --help names its options and shows examples of itself', async (words, options) => {
    const text = await help(words);
    expect(text).toContain(`Usage: assistant ${words.join(' ')}`.trimEnd());
    for (const option of options) expect(text).toMatch(new RegExp(`(^|[\\s,])${option}\\b`, 'm'));
    expect(text).toContain('\nExamples:\n');
    expect(text).toContain(`$ assistant ${words.join(' ')}`.trimEnd());
    // Help is read without a server or a store.
    expect(server.requests).toHaveLength(0);
    expect(existsSync(home.dataDirectory)).toBe(false);
  });

  it('every environment variable a help names is one the configuration reads', async () => {
    const config = await home.run(['config', '--json']);
    const settings = (JSON.parse(config.stdout) as { settings: Record<string, { variable: string }> }).settings;
    const known = new Set(Object.values(settings).map((setting) => setting.variable));
    const named = new Set<string>();
    for (const [words] of COMMANDS) for (const match of (await help(words)).matchAll(/\benv\s+([A-Z_]+)/g)) named.add(match[1]!);
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((variable) => !known.has(variable))).toEqual([]);
  });

  it('an option that names its environment variable also names the default the configuration has', async () => {
    const config = await home.run(['config', '--json']);
    const settings = Object.values((JSON.parse(config.stdout) as { settings: Record<string, { variable: string; value?: string; source: string }> }).settings);
    const defaults = new Map(settings.flatMap((setting) => (setting.source === 'default' && setting.value !== undefined ? [[setting.variable, setting.value]] : [])));
    // The one default shown in a unit of its own: bytes as MB.
    const shown = (variable: string, value: string): string => (variable === 'ASSISTANT_MAX_INPUT' ? `${Number(value) / 1_000_000}MB` : value);
    let checked = 0;
    for (const [words] of COMMANDS) {
      // One entry per option: its first line, and the wrapped lines under it.
      const entries = (await help(words)).replace(/\n {10,}/g, ' ').split('\n').filter((line) => /^ {2}-/.test(line));
      for (const entry of entries) {
        const variable = /\benv ([A-Z_]+)/.exec(entry)?.[1];
        const value = variable === undefined ? undefined : defaults.get(variable);
        if (variable === undefined || value === undefined) continue;
        expect(entry).toContain(`default ${shown(variable, value)}`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(8);
  });

  it('assistant --help explains every exit code', async () => {
    const exitCodes = (await help([])).split('Exit codes:')[1]!;
    for (const code of Object.values(ExitCode)) expect(exitCodes).toMatch(new RegExp(`(^|[\\s/])${code}[\\s/]`));
  });

  it('the conversation options say the same in ask, talk and chat, with the variable and the default', async () => {
    const temperature = /-t, --temperature <n>\s+sampling temperature, 0 to 2 \(env\s+ASSISTANT_TEMPERATURE, default: the server's\)/;
    for (const command of ['ask', 'talk', 'chat']) expect(await help([command])).toMatch(temperature);
  });
});

describe('start-up loads only what is used', () => {
  const HOOK = resolve(import.meta.dirname, '../support/module-trace.mjs');

  /** The URLs of the modules the CLI loaded for these arguments. */
  async function modulesLoaded(args: string[]): Promise<string[]> {
    const trace = join(home.root, `trace-${args.join('-')}.txt`);
    const result = await home.run(args, { env: { NODE_OPTIONS: `--import ${HOOK}`, ASSISTANT_TEST_MODULE_TRACE: trace } });
    expect(result.code).toBe(0);
    const urls = readFileSync(trace, 'utf8').trim().split('\n');
    expect(urls.some((url) => url.endsWith('/dist/cli.js'))).toBe(true);
    return urls;
  }
  const packagesOf = (urls: string[]): Set<string> => new Set(urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []));
  const definitionsOf = (urls: string[]): string[] => urls.flatMap((url) => /\/dist\/commands\/(\w+)\.command\.js$/.exec(url)?.[1] ?? []).sort();

  it('--help loads no openai, pg, ora or better-sqlite3', async () => {
    const urls = await modulesLoaded(['--help']);
    for (const heavy of ['openai', 'pg', 'ora', 'better-sqlite3']) expect(packagesOf(urls)).not.toContain(heavy);
    expect(definitionsOf(urls)).toEqual(['ask', 'cache', 'chat', 'completion', 'config', 'db', 'doctor', 'history', 'log', 'roles', 'say', 'serve', 'stats', 'talk', 'token', 'transcribe']);
  });

  it("a cached ask loads no openai or ora (nor pg on SQLite), and no other command's definition", async () => {
    expect((await home.run(['ask', '--cache', 'cached question'])).code).toBe(0);
    const urls = await modulesLoaded(['ask', '--cache', 'cached question']);
    expect(server.chatRequests).toHaveLength(1);
    for (const heavy of ['openai', 'ora', ...(TEST_STORE === 'sqlite' ? ['pg'] : [])]) expect(packagesOf(urls)).not.toContain(heavy);
    expect(definitionsOf(urls)).toEqual(['ask']);
  });
});
