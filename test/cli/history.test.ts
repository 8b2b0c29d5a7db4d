import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));
beforeEach(async () => {
  await home.run(['ask', '--session', 'paris', 'Tell me about the Eiffel tower']);
  await home.run(['ask', '--session', 'paris', 'And the Louvre?']);
  await home.run(['ask', '--session', 'cooking', 'How long do I boil an egg?']);
});

describe('assistant history', () => {
  it('lists sessions newest first with activity, count and the first question', async () => {
    const result = await home.run(['history']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SESSION\s+LAST ACTIVITY\s+MESSAGES\s+FIRST QUESTION$/);
    expect(lines[1]).toMatch(/^cooking\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+2\s+How long do I boil an egg\?$/);
    expect(lines[2]).toMatch(/^paris\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+4\s+Tell me about the Eiffel tower$/);
    expect(lines).toHaveLength(3);
  });

  it('honours --limit and prints JSON', async () => {
    const result = await home.run(['history', '--limit', '1', '--json']);
    const sessions = JSON.parse(result.stdout);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ id: 'cooking', messageCount: 2, preview: 'How long do I boil an egg?' });
    expect(new Date(sessions[0].updatedAt).getTime()).toBeGreaterThan(0);
  });

  it('shows a whole transcript with roles and timestamps', async () => {
    const result = await home.run(['history', '--session', 'paris']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Session paris · 4 messages · /);
    const headings = result.stdout.split('\n').filter((line) => / · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(line) && !line.startsWith('Session'));
    expect(headings.map((line) => line.split(' · ')[0])).toEqual(['You', 'Assistant', 'You', 'Assistant']);
    expect(headings[1]).toMatch(/ · gpt-4o-mini$/);
    expect(result.stdout).toContain('\nAnd the Louvre?\n');
    expect(result.stdout).toContain('\nYou said: And the Louvre?\n');
  });

  it('marks an interrupted answer in the transcript', async () => {
    server.enqueue({ text: 'half an answer that breaks', dropAfterChunks: 2 });
    await home.run(['ask', '--session', 'broken', 'go']);
    const result = await home.run(['history', '--session', 'broken']);
    expect(result.stdout, result.stdout).toMatch(/Assistant · [\d: -]+ · gpt-4o-mini · error\nhalf an\n/);
  });

  it('prints a transcript as JSON', async () => {
    const result = await home.run(['history', '--session', 'cooking', '--json']);
    const transcript = JSON.parse(result.stdout);
    expect(transcript.session).toMatchObject({ id: 'cooking', messageCount: 2 });
    expect(transcript.messages.map((message: { role: string; content: string; status: string }) => [message.role, message.content, message.status])).toEqual([
      ['user', 'How long do I boil an egg?', 'complete'],
      ['assistant', 'You said: How long do I boil an egg?', 'complete'],
    ]);
  });

  it('fails clearly on an unknown session (exit 1)', async () => {
    const result = await home.run(['history', '--session', 'nope']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('Error: No session "nope". List sessions with: assistant history\n');
  });

  it('searches every message and shows session id and snippet', async () => {
    const result = await home.run(['history', '--search', 'louvre']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SESSION\s+TIME\s+WHO\s+MATCH$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['paris', 'paris']);
    expect(lines[1]).toMatch(/assistant\s+You said: And the Louvre\?$/);
    expect(lines[2]).toMatch(/you\s+And the Louvre\?$/);
  });

  it('search treats quotes, %, ; and SQL as plain text', async () => {
    for (const query of ['"unbalanced', '100%', "'; DROP TABLE messages; --", 'OR AND NOT', 'egg* NEAR(']) {
      const result = await home.run(['history', '--search', query, '--json']);
      expect(result.code, query).toBe(0);
      expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
    }
    const egg = JSON.parse((await home.run(['history', '--search', 'egg*', '--json'])).stdout);
    expect(egg.map((hit: { sessionId: string }) => hit.sessionId)).toEqual(['cooking', 'cooking']);
    expect((await home.messageRows())).toHaveLength(6);
  });

  it('deletes a session and its messages, from search too', async () => {
    const result = await home.run(['history', '--delete', 'paris']);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe('Deleted session paris (4 messages, and what it cached).\n');
    expect((await home.messageRows()).map((row) => row.session_id)).toEqual(['cooking', 'cooking']);
    expect(JSON.parse((await home.run(['history', '--search', 'louvre', '--json'])).stdout)).toEqual([]);
    expect((await home.run(['history', '--delete', 'paris'])).code).toBe(1);
  });

  it('deleting removes the text from the store (and, on SQLite, overwrites it in the file)', async () => {
    await home.run(['ask', '--session', 'secret', 'my-unique-marker-31415']);
    await home.run(['history', '--delete', 'secret']);
    for (const table of ['sessions', 'messages', 'cache']) {
      expect(JSON.stringify(await home.rows(`SELECT * FROM ${table}`)), table).not.toContain('31415');
    }
    if (!home.isPostgres) {
      const { readFileSync } = await import('node:fs');
      const file = readFileSync(home.databasePath);
      // Neither the text (messages, preview, cached answer) nor its search-index terms remain.
      expect(file.includes('my-unique-marker')).toBe(false);
      expect(file.includes('31415')).toBe(false);
    }
  });

  it('says so when there is no history yet', async () => {
    const empty = await TempHome.create(server.url);
    const result = await empty.run(['history']);
    await empty.remove();
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toContain('No sessions yet');
  });
});

describe('assistant history --format markdown and --last', () => {
  it('exports a session as a markdown document', async () => {
    const result = await home.run(['history', '--session', 'paris', '--format', 'markdown']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const document = result.stdout.replace(/\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?/g, 'TIME');
    expect(document).toBe(
      [
        '# Session paris',
        '',
        '- Started: TIME\n- Last activity: TIME\n- Messages: 4\n- Model: gpt-4o-mini\n- Started by: ' + document.match(/Started by: (.*)/)![1],
        '',
        '## You · TIME',
        '',
        'Tell me about the Eiffel tower',
        '',
        '## Assistant · TIME · gpt-4o-mini',
        '',
        'You said: Tell me about the Eiffel tower',
        '',
        '## You · TIME',
        '',
        'And the Louvre?',
        '',
        '## Assistant · TIME · gpt-4o-mini',
        '',
        'You said: And the Louvre?',
        '',
      ].join('\n'),
    );
  });

  it('prints only the last answer with --last, for scripts', async () => {
    const result = await home.run(['history', '--session', 'paris', '--last']);
    expect(result).toMatchObject({ code: 0, stdout: 'You said: And the Louvre?\n', stderr: '' });
  });

  it('refuses --last and --format markdown without --session, and an unknown format (exit 2)', async () => {
    expect(await home.run(['history', '--last'])).toMatchObject({ code: 2, stdout: '', stderr: 'Error: --last needs --session <id>.\n' });
    expect(await home.run(['history', '--format', 'markdown'])).toMatchObject({ code: 2, stderr: 'Error: --format markdown needs --session <id>.\n' });
    const unknown = await home.run(['history', '--session', 'paris', '--format', 'html']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain('--format must be text or markdown');
  });

  it('fails with --last when the last answer did not complete (exit 1)', async () => {
    server.enqueue({ status: 400, errorMessage: 'bad request' });
    await home.run(['ask', '--session', 'unanswered', 'hello?'], { env: { ASSISTANT_MAX_RETRIES: '0' } });
    const result = await home.run(['history', '--session', 'unanswered', '--last']);
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'Error: The last answer in session "unanswered" did not complete (error).\n' });
  });
});
