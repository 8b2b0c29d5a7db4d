/**
 * Sessions over several asks: whose session --continue picks, the settings a session
 * remembers, failed questions, --retry, the context budget, and deleting a session while
 * an answer to it is being written.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, collect, type TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { speechLike } from '../support/audio-fixtures.js';
import { encodeWav } from '../../src/audio/wav.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const lastMessages = (): Array<{ role: string; content: string }> => server.chatRequests.at(-1)!.body.messages;

describe('--continue on a shared store', () => {
  it('continues the latest session of this user, not whoever spoke last', async () => {
    await home.run(['ask', '--session', 'bobs', 'bob asks'], { env: { ASSISTANT_OWNER: 'bob@laptop' } });
    await home.run(['ask', '--session', 'alices', 'alice asks'], { env: { ASSISTANT_OWNER: 'alice@desk' } });
    const result = await home.run(['ask', '-c', '--json', 'and then?'], { env: { ASSISTANT_OWNER: 'bob@laptop' } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).session).toBe('bobs');
    expect(lastMessages().map((message) => message.content)).toEqual(['bob asks', 'You said: bob asks', 'and then?']);
    expect(await home.rows('SELECT id, owner FROM sessions ORDER BY id')).toEqual([
      { id: 'alices', owner: 'alice@desk' },
      { id: 'bobs', owner: 'bob@laptop' },
    ]);
  });

  it('a session from before owners were recorded stays anyone\'s when someone continues it', async () => {
    await home.run(['ask', '--session', 'legacy', 'old question']);
    await home.execute("UPDATE sessions SET owner = NULL WHERE id = 'legacy'");
    await home.run(['ask', '-c', 'from bob'], { env: { ASSISTANT_OWNER: 'bob@laptop' } });
    expect(await home.rows("SELECT owner FROM sessions WHERE id = 'legacy'")).toEqual([{ owner: null }]);
    const alice = await home.run(['ask', '-c', '--json', 'from alice'], { env: { ASSISTANT_OWNER: 'alice@desk' } });
    expect(JSON.parse(alice.stdout).session).toBe('legacy');
  });

  it('a user with no session of their own starts a new one', async () => {
    await home.run(['ask', '--session', 'alices', 'alice asks'], { env: { ASSISTANT_OWNER: 'alice@desk' } });
    const result = await home.run(['ask', '-c', '--json', 'hello'], { env: { ASSISTANT_OWNER: 'carol@home' } });
    expect(JSON.parse(result.stdout).session).not.toBe('alices');
    expect(result.stderr).toContain('No earlier session of yours to continue');
  });
});

describe('a session remembers its settings', () => {
  it('reuses the system prompt, model and temperature when continued; a flag overrides them', async () => {
    await home.run(['ask', '--session', 'pirate', '--system', 'Talk like a pirate.', '-m', 'model-a', '-t', '0.3', 'hello']);
    await home.run(['ask', '--session', 'pirate', 'again']);
    expect(server.chatRequests[1]!.body).toMatchObject({ model: 'model-a', temperature: 0.3 });
    expect(server.chatRequests[1]!.body.messages[0]).toEqual({ role: 'system', content: 'Talk like a pirate.' });

    await home.run(['ask', '-c', '-m', 'model-b', 'third']);
    expect(server.chatRequests[2]!.body).toMatchObject({ model: 'model-b', temperature: 0.3 });
    expect(server.chatRequests[2]!.body.messages[0]).toEqual({ role: 'system', content: 'Talk like a pirate.' });
    // The override sticks: the session now talks to model-b.
    await home.run(['ask', '-c', 'fourth']);
    expect(server.chatRequests[3]!.body.model).toBe('model-b');

    const shown = await home.run(['history', '--session', 'pirate']);
    expect(shown.stdout).toContain('model model-b · temperature 0.3');
    expect(shown.stdout).toContain('System: Talk like a pirate.');
  });

  it('settings from the environment do not override a continued session', async () => {
    await home.run(['ask', '--session', 's', '-m', 'model-a', 'hello']);
    await home.run(['ask', '--session', 's', 'again'], { env: { ASSISTANT_MODEL: 'model-env' } });
    expect(server.chatRequests[1]!.body.model).toBe('model-a');
  });
});

describe('failed questions', () => {
  it('stay in history marked failed, are not sent as context, and --retry sends the last one again', async () => {
    await home.run(['ask', '--session', 'f', 'first']);
    server.enqueue({ status: 401, errorMessage: 'bad key' });
    const failed = await home.run(['ask', '--session', 'f', 'refused question']);
    expect(failed.code).toBe(1);

    await home.run(['ask', '--session', 'f', 'next']);
    expect(lastMessages().map((message) => `${message.role}:${message.content}`)).toEqual([
      'user:first', 'assistant:You said: first', 'user:next',
    ]);

    const shown = await home.run(['history', '--session', 'f']);
    expect(shown.stdout).toMatch(/You · [^\n]*failed: not answered/);
    expect(shown.stdout.match(/failed: not answered/g)).toHaveLength(1);

    const nothing = await home.run(['ask', '--session', 'f', '--retry']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('did not fail; there is nothing to retry');

    server.enqueue({ status: 404, errorMessage: 'The model does not exist', errorCode: 'model_not_found' });
    await home.run(['ask', '--session', 'f', 'unlucky']);
    const retried = await home.run(['ask', '--session', 'f', '--retry']);
    expect(retried).toMatchObject({ code: 0, stdout: 'You said: unlucky\n' });
    expect(lastMessages().map((message) => message.content)).toEqual(['first', 'You said: first', 'next', 'You said: next', 'unlucky']);
  });

  it('a question refused by the rate limit is kept as failed and never sent as context', async () => {
    const env = { ASSISTANT_MAX_REQUESTS_PER_MINUTE: '1' };
    await home.run(['ask', '--session', 'r', 'one'], { env });
    const refused = await home.run(['ask', '--session', 'r', 'two'], { env });
    expect(refused.code).toBe(3);
    const rows = await home.messageRows();
    expect(rows.map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'one', 'complete'], ['assistant', 'You said: one', 'complete'], ['user', 'two', 'complete'], ['assistant', '', 'error'],
    ]);
    await home.run(['ask', '--session', 'r', 'three']);
    expect(lastMessages().map((message) => message.content)).toEqual(['one', 'You said: one', 'three']);
  });
});

describe('failed questions: partial answers and --retry guards', () => {
  it('a question whose answer broke off mid-way (lost connection) is failed: not context, and --retry sends it again', async () => {
    await home.run(['ask', '--session', 'p', 'first']);
    server.enqueue({ text: 'half of an answer that never ends', dropAfterChunks: 3 });
    expect((await home.run(['ask', '--session', 'p', 'broken'])).code).toBe(1);
    const retried = await home.run(['ask', '--session', 'p', '--retry']);
    expect(retried).toMatchObject({ code: 0, stdout: 'You said: broken\n' });
    expect(lastMessages().map((message) => message.content)).toEqual(['first', 'You said: first', 'broken']);
  });

  it('--retry refuses piped text and a session that does not exist', async () => {
    await home.run(['ask', '--session', 'g', 'hello']);
    const piped = await home.run(['ask', '--session', 'g', '--retry'], { input: 'more text' });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('pipe nothing into it');
    const missing = await home.run(['ask', '--session', 'nosuch', '--retry']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No session "nosuch" to retry in');
  });
});

describe('answers the model cut off', () => {
  it('are never cached, whatever the cache policy', async () => {
    server.enqueue({ text: 'cut', finishReason: 'length' }, { text: 'whole' });
    await home.run(['ask', '-t', '0', 'limit me']);
    const again = await home.run(['ask', '-t', '0', '--json', 'limit me']);
    expect(JSON.parse(again.stdout)).toMatchObject({ cached: false, answer: 'whole' });
    expect(server.chatRequests).toHaveLength(2);
  });
});

describe('the context budget', () => {
  it('sends the newest exchanges that fit ASSISTANT_CONTEXT_TOKENS, always the system prompt and the question', async () => {
    const long = 'x'.repeat(400); // about 100 tokens
    for (const word of ['one', 'two', 'three', 'four']) await home.run(['ask', '--session', 'b', '--system', 'Be brief.', `${word} ${long}`]);
    await home.run(['ask', '--session', 'b', 'last'], { env: { ASSISTANT_CONTEXT_TOKENS: '450' } });
    const sent = lastMessages();
    expect(sent[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(sent.slice(1).map((message) => message.content.split(' ')[0])).toEqual(['three', 'You', 'four', 'You', 'last']);
    expect(Buffer.byteLength(JSON.stringify(sent))).toBeLessThan(2500);

    await home.run(['ask', '--session', 'b', 'alone'], { env: { ASSISTANT_CONTEXT_TOKENS: '0' } });
    expect(lastMessages().map((message) => message.content)).toEqual(['Be brief.', 'alone']);
  });

  it('when the server still says the context is too long, says how to go on', async () => {
    server.enqueue({ status: 400, errorMessage: "This model's maximum context length is 8192 tokens.", errorCode: 'context_length_exceeded' });
    const result = await home.run(['ask', '--session', 'big', 'hello']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: The conversation no longer fits the model's context window \(session big\)\. Start a new session .*ASSISTANT_CONTEXT_TOKENS=8000 \(now 16000\)/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('deleting a session while an answer to it is written', () => {
  it('keeps it deleted: the answer is discarded with a clear note', async () => {
    server.enqueue({ text: 'one two three four five six seven eight', chunkDelayMs: 150 });
    const child = home.start(['ask', '--session', 'doomed', 'count']);
    const done = collect(child);
    // The store may not exist yet when the child has only just started: waitUntil counts that as not yet.
    await waitUntil(async () => (await home.rows("SELECT id FROM sessions WHERE id = 'doomed'")).length === 1, 'the session to be stored');
    const removed = await home.run(['history', '--delete', 'doomed']);
    expect(removed.code).toBe(0);
    const result = await done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error: Session doomed was deleted while the answer was being written; the answer was discarded.');
    expect(result.stderr).not.toMatch(/FOREIGN KEY|at .*\.js/);
    expect(await home.rows('SELECT * FROM sessions')).toEqual([]);
    expect(await home.messageRows()).toEqual([]);
  });

  it('history --delete removes the transcriptions the session produced', async () => {
    const wav = encodeWav(speechLike(1500));
    const result = await home.run(['ask', '--session', 'spoken', '--audio', '-', 'summarize'], { input: wav });
    expect(result.code).toBe(0);
    expect(await home.rows("SELECT session_id FROM cache WHERE kind = 'transcription'")).toEqual([{ session_id: 'spoken' }]);
    await home.run(['history', '--delete', 'spoken']);
    expect(await home.rows('SELECT kind FROM cache')).toEqual([]);
  });
});

describe('history --delete on a terminal', () => {
  const deleteInTerminal = (typed: string, ...flags: string[]): Promise<{ code: number | null; stdout: string }> => {
    let answer = typed;
    const command = `exec '${process.execPath}' '${BIN}' history --delete kept ${flags.join(' ')}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: home.root, env: home.environment(), stdio: ['pipe', 'pipe', 'pipe'] });
    // Typed once the question is on screen, as a person would (a Ctrl-C before it would end the program instead).
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (answer !== '' && seen.includes('[y/N]')) {
        child.stdin!.write(answer);
        answer = '';
      }
    });
    return collect(child);
  };

  it('asks for confirmation; anything but yes keeps the session; --yes does not ask', async () => {
    await home.run(['ask', '--session', 'kept', 'precious']);
    const declined = await deleteInTerminal('n\n');
    expect(declined.stdout).toMatch(/Delete session kept \(2 messages, "precious"\) for good\? \[y\/N\]/);
    expect(declined.stdout).toContain('Nothing was deleted.');
    expect(await home.rows("SELECT id FROM sessions WHERE id = 'kept'")).toHaveLength(1);

    const accepted = await deleteInTerminal('y\n');
    expect(accepted.stdout).toContain('Deleted session kept');
    expect(await home.rows('SELECT id FROM sessions')).toEqual([]);

    await home.run(['ask', '--session', 'kept', 'again']);
    const interrupted = await deleteInTerminal('\u0003');
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toContain('Nothing was deleted.');
    expect(await home.rows("SELECT id FROM sessions WHERE id = 'kept'")).toHaveLength(1);

    const forced = await deleteInTerminal('', '--yes');
    expect(forced.stdout).not.toContain('[y/N]');
    expect(await home.rows('SELECT id FROM sessions')).toEqual([]);
  });
});
