/** Roles: named system prompts (with model, voice, language) in the config file; config set/unset/edit; assistant roles. */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { speechLike } from '../support/audio-fixtures.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { parseMultipart } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import type { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const configFile = (): string => join(home.configDirectory, 'assistant', 'config.json');

async function defineReviewer(): Promise<void> {
  for (const [key, value] of [
    ['roles.reviewer.system', 'You review code tersely.'],
    ['roles.reviewer.model', 'gpt-4o'],
    ['roles.reviewer.voice', 'onyx'],
    ['roles.reviewer.language', 'de'],
  ]) {
    expect(await home.run(['config', 'set', key!, value!])).toMatchObject({ code: 0, stdout: '' });
  }
}

describe('--role', () => {
  it("ask --role sends the role's system prompt and model, and the session keeps them", async () => {
    await defineReviewer();
    const result = await home.run(['ask', '--role', 'reviewer', '--session', 'review', 'Is this fine?']);
    expect(result.code).toBe(0);
    const request = server.chatRequests[0]!.body;
    expect(request.model).toBe('gpt-4o');
    expect(request.messages[0]).toEqual({ role: 'system', content: 'You review code tersely.' });
    const [session] = await home.rows<{ system: string; model: string }>("SELECT system, model FROM sessions WHERE id = 'review'");
    expect(session).toMatchObject({ system: 'You review code tersely.', model: 'gpt-4o' });
  });

  it('talk --role speaks with the role (its prompt and model, its voice for the reply)', async () => {
    await defineReviewer();
    const result = await home.run(['talk', '--text', '--role', 'reviewer', '--player', 'true'], { input: 'Is this fine?\n' });
    expect(result.code).toBe(0);
    expect(server.chatRequests[0]!.body).toMatchObject({ model: 'gpt-4o', messages: [{ role: 'system', content: 'You review code tersely.' }, { role: 'user', content: 'Is this fine?' }] });
    const voices = server.speechRequests.map((request) => request.body.voice);
    expect(voices.length).toBeGreaterThan(0);
    expect(new Set(voices)).toEqual(new Set(['onyx']));
  });

  it('a role beats the environment, a flag beats the role', async () => {
    await defineReviewer();
    await home.run(['ask', '--role', 'reviewer', 'one'], { env: { ASSISTANT_MODEL: 'from-env' } });
    await home.run(['ask', '--role', 'reviewer', '--model', 'from-flag', 'two'], { env: { ASSISTANT_MODEL: 'from-env' } });
    expect(server.chatRequests.map((request) => request.body.model)).toEqual(['gpt-4o', 'from-flag']);
  });

  it("a role's voice speaks the answer and its language goes with spoken questions", async () => {
    await defineReviewer();
    server.enqueue({ text: 'Looks good.' });
    // `true` as a file player: it plays nothing and succeeds, so no sound card is needed here.
    const spoken = await home.run(['ask', '--role', 'reviewer', '--speak', '--player', 'true', 'Review it']);
    expect(spoken.code).toBe(0);
    expect(server.speechRequests.map((request) => request.body.voice)).toEqual(['onyx']);

    const memo = join(home.root, 'memo.wav');
    writeFileSync(memo, encodeWav(speechLike(1000)));
    await home.run(['ask', '--role', 'reviewer', '--audio', memo]);
    expect(parseMultipart(server.transcriptionRequests[0]!)!.fields.language).toBe('de');
  });

  it('an unknown role is a usage error that names the known ones (exit 2), and nothing is sent', async () => {
    const none = await home.run(['ask', '--role', 'pirate', 'ahoy']);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('No role "pirate". Define one in');
    await defineReviewer();
    const unknown = await home.run(['ask', '--role', 'pirate', 'ahoy']);
    expect(unknown).toMatchObject({ code: 2, stderr: 'Error: No role "pirate". Known roles: reviewer.\n' });
    expect(server.chatRequests).toHaveLength(0);
  });

  it("a role given on a continued session changes its prompt, as --system would", async () => {
    await defineReviewer();
    await home.run(['ask', '--session', 'mixed', 'first']);
    await home.run(['ask', '--session', 'mixed', '--role', 'reviewer', 'second']);
    expect(server.chatRequests[1]!.body.messages[0]).toEqual({ role: 'system', content: 'You review code tersely.' });
    expect(server.chatRequests[1]!.body.model).toBe('gpt-4o');
  });
});

describe('assistant roles', () => {
  it('lists the roles with what each sets, and as JSON', async () => {
    await defineReviewer();
    await home.run(['config', 'set', 'roles.pirate.system', 'Answer like a pirate.']);
    const listed = await home.run(['roles']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ROLE\s+SYSTEM\s+MODEL\s+VOICE\s+LANGUAGE$/);
    expect(lines[1]).toMatch(/^reviewer\s+You review code tersely\.\s+gpt-4o\s+onyx\s+de$/);
    expect(lines[2]).toMatch(/^pirate\s+Answer like a pirate\.\s+-\s+-\s+-$/);
    expect(JSON.parse((await home.run(['roles', '--json'])).stdout)).toEqual({
      reviewer: { system: 'You review code tersely.', model: 'gpt-4o', voice: 'onyx', language: 'de' },
      pirate: { system: 'Answer like a pirate.' },
    });
  });

  it('refuses a malformed role in the config file, naming what is wrong (exit 1)', async () => {
    await home.run(['config', 'set', 'voice', 'nova']);
    writeFileSync(configFile(), JSON.stringify({ roles: { pirate: { system: 'Arr.', temperature: 2 } } }));
    const result = await home.run(['roles']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('"roles" in');
    expect(result.stderr).toContain('"pirate" has "temperature"');
  });

  it('assistant config names the roles there are', async () => {
    await defineReviewer();
    expect((await home.run(['config'])).stderr).toContain('Roles (--role, see assistant roles): reviewer\n');
  });

  it('says how to add one when there are none', async () => {
    const listed = await home.run(['roles']);
    expect(listed).toMatchObject({ code: 0, stdout: '' });
    expect(listed.stderr).toContain('assistant config set roles.reviewer.system');
  });
});

describe('assistant config set, unset and edit', () => {
  it('set checks the value first, writes the file owner-only, and the setting applies', async () => {
    expect(await home.run(['config', 'set', 'speed', '1.5'])).toMatchObject({ code: 0 });
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ speed: 1.5 });
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    const bad = await home.run(['config', 'set', 'speed', 'fast']);
    expect(bad).toMatchObject({ code: 2, stderr: 'Error: speed must be a number from 0.25 to 4 (got "fast").\n' });
    const unknown = await home.run(['config', 'set', 'colour', 'blue']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown setting "colour"');
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ speed: 1.5 });
    expect(JSON.parse((await home.run(['config', '--json'])).stdout).settings.speed).toMatchObject({ value: '1.5', source: 'config file' });
  });

  it('unset removes a setting, a role field or a whole role', async () => {
    await defineReviewer();
    await home.run(['config', 'set', 'voice', 'nova']);
    expect((await home.run(['config', 'unset', 'voice'])).code).toBe(0);
    expect((await home.run(['config', 'unset', 'roles.reviewer.voice'])).code).toBe(0);
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ roles: { reviewer: { system: 'You review code tersely.', model: 'gpt-4o', language: 'de' } } });
    expect((await home.run(['config', 'unset', 'roles.reviewer'])).code).toBe(0);
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ roles: {} });
  });

  it("edit opens $EDITOR on the file and checks what was saved", async () => {
    const editor = join(home.root, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nprintf \'{"voice": "%s"}\\n\' "$EDIT_VOICE" > "$1"\n');
    chmodSync(editor, 0o755);
    const saved = await home.run(['config', 'edit'], { env: { EDITOR: editor, EDIT_VOICE: 'shimmer' } });
    expect(saved).toMatchObject({ code: 0, stdout: '' });
    expect(existsSync(configFile())).toBe(true);
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ voice: 'shimmer' });

    const broken = join(home.root, 'broken.sh');
    writeFileSync(broken, '#!/bin/sh\necho \'{"speed": 9}\' > "$1"\n');
    chmodSync(broken, 0o755);
    const result = await home.run(['config', 'edit'], { env: { EDITOR: broken } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The config file was saved with a problem: "speed" in');
    expect(result.stderr).toContain('Fix it with: assistant config edit');
  });
});
