/** `assistant talk --text --mute`: the voice loop's pipeline without audio devices. */
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome, collect, waitForOutput, waitForStderr } from '../support/cli.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

interface TurnRow {
  input: string;
  status: string;
  speech_ended_at: number | null;
  first_token_at: number | null;
  first_audio_at: number | null;
  time_to_first_audio_ms: number | null;
}

describe('assistant talk --text --mute', () => {
  it('runs one turn per line, prints You/Assistant, stores every turn, ends on end of input', async () => {
    const result = await home.run(['talk', '--text', '--mute', '--session', 'typed'], { input: 'hello\n\nhow are you?\n' });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: hello\nAssistant: You said: hello\nYou: how are you?\nAssistant: You said: how are you?\n');
    expect(result.stderr).toContain('Talking in session typed.');
    expect(result.stderr).toMatch(/2 turns · session typed\n$/);
    expect(server.chatRequests[1]!.body.messages.map((message: { content: string }) => message.content)).toEqual([
      'hello',
      'You said: hello',
      'how are you?',
    ]);
    expect((await home.messageRows())).toHaveLength(4);
    const turns = (await home.rows<TurnRow>('SELECT * FROM turns ORDER BY id'));
    expect(turns.map((turn) => [turn.input, turn.status])).toEqual([
      ['text', 'complete'],
      ['text', 'complete'],
    ]);
    expect(turns[0]!.first_token_at).toBeGreaterThanOrEqual(turns[0]!.speech_ended_at!);
    expect(turns[0]!.first_audio_at).toBeNull();
  });

  it('survives a failed turn: says what failed and carries on', async () => {
    server.enqueue({ status: 500, errorMessage: 'model crashed' });
    const result = await home.run(['talk', '--text', '--mute'], { input: 'first\nsecond\n' });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Error: 127\.0\.0\.1:\d+ failed with 500: model crashed\. Try again later\. Your words were saved; listening again\./);
    expect(result.stdout).toContain('Assistant: You said: second');
    const rows = (await home.messageRows());
    expect(rows.map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'error'],
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
  });

  it('continues the latest session with -c', async () => {
    await home.run(['ask', '--session', 'earlier', 'remember the number 42']);
    await home.run(['talk', '--text', '--mute', '-c'], { input: 'what number?\n' });
    expect(server.chatRequests[1]!.body.messages[0]).toEqual({ role: 'user', content: 'remember the number 42' });
  });

  it('prints stage timings with --verbose', async () => {
    const result = await home.run(['talk', '--text', '--mute', '--verbose'], { input: 'hi\n' });
    expect(result.stderr).toMatch(/transcript \d+ ms · first token \d+ ms · first sentence - · first audio - · done - · time to first audio -/);
  });

  it('Ctrl-C during an answer stops it, keeps it marked interrupted, and listens again', async () => {
    server.enqueue({ text: 'one two three four five six seven eight nine ten eleven twelve', chunkDelayMs: 100 });
    const child = home.start(['talk', '--text', '--mute', '--session', 'cut'], { keepStdinOpen: true });
    const done = collect(child);
    child.stdin!.write('count please\n');
    await waitForOutput(child, 'three');
    child.kill('SIGINT');
    child.stdin!.write('next\n');
    await waitForOutput(child, 'You said: next');
    // A second Ctrl-C now would fall in the 1.5 s double-press window (test/voice/talk-session-interrupt.test.ts
    // covers it on a fake clock): end of input ends the session instead.
    child.stdin!.end();
    const result = await done;

    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('twelve');
    expect(result.stderr).toContain('(interrupted)');
    expect(result.stderr).toMatch(/2 turns · session cut\n$/);
    const rows = (await home.messageRows());
    expect(rows.map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'interrupted'],
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(rows[1]!.content).toMatch(/^one two three/);
  });

  it('Ctrl-C at the prompt ends the session cleanly (exit 0)', async () => {
    const child = home.start(['talk', '--text', '--mute', '--verbose', '--session', 'ended'], { keepStdinOpen: true });
    const done = collect(child);
    child.stdin!.write('hello\n');
    // The timings note comes once the turn is stored: from then on the session is at the prompt.
    await waitForStderr(child, 'time to first audio');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/1 turn · session ended\n$/);
    expect((await home.messageRows()).map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
  });

  it('a second quick Ctrl-C exits at once (130), keeping the question', async () => {
    server.enqueue({ hang: true });
    const child = home.start(['talk', '--text', '--mute'], { keepStdinOpen: true });
    const done = collect(child);
    child.stdin!.write('are you there?\n');
    await waitUntil(() => server.chatRequests.length === 1, 'the chat request');
    child.kill('SIGINT');
    // The first press has been handled (two signals sent at once may arrive as one); the second is well within 1.5 s.
    await waitForStderr(child, '(interrupted)');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect((await home.messageRows())[0]).toMatchObject({ role: 'user', content: 'are you there?' });
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGQUIT', 131],
  ] as const)('%s ends the session, storing the turn so far (exit %i)', async (signal, code) => {
    server.enqueue({ text: 'slow words keep coming and coming', chunkDelayMs: 200 });
    const child = home.start(['talk', '--text', '--mute'], { keepStdinOpen: true });
    const done = collect(child);
    child.stdin!.write('go\n');
    await waitForOutput(child, 'slow');
    child.kill(signal);
    const result = await done;
    expect(result.code).toBe(code);
    expect((await home.messageRows()).map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'interrupted'],
    ]);
  });

  it('refuses --push-to-talk without a terminal, and with --text', async () => {
    expect((await home.run(['talk', '--push-to-talk'])).stderr).toMatch(/^Error: --push-to-talk needs a terminal/);
    const both = await home.run(['talk', '--text', '--push-to-talk']);
    expect(both.code).toBe(2);
  });
});
