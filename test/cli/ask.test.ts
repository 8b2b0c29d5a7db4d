import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe('assistant ask', () => {
  it('streams the answer to stdout and stores both messages', async () => {
    server.enqueue({ text: 'Paris is the capital of France.', chunkDelayMs: 5 });
    const result = await home.run(['ask', 'What is the capital of France?']);

    expect(result).toMatchObject({ code: 0, stdout: 'Paris is the capital of France.\n', stderr: '' });
    const [request] = server.chatRequests;
    expect(request?.body).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    });
    expect(request?.body.temperature).toBeUndefined();
    expect(request?.headers.authorization).toBe(`Bearer ${home.environment().OPENAI_API_KEY}`);
    const rows = (await home.messageRows());
    expect(rows.map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'What is the capital of France?', 'complete'],
      ['assistant', 'Paris is the capital of France.', 'complete'],
    ]);
    expect(rows[1]).toMatchObject({ model: 'gpt-4o-mini', completion_tokens: 6 });
    expect(rows[1]!.prompt_tokens).toBeGreaterThan(0);
  });

  it('asks without streaming with --no-stream', async () => {
    server.enqueue({ text: 'One whole answer.' });
    const result = await home.run(['ask', '--no-stream', 'hi']);
    expect(result).toMatchObject({ code: 0, stdout: 'One whole answer.\n' });
    expect(server.chatRequests[0]?.body.stream).toBe(false);
    expect((await home.messageRows())[1]).toMatchObject({ content: 'One whole answer.', completion_tokens: 3 });
  });

  it('joins several words of the argument', async () => {
    await home.run(['ask', 'how', 'are', 'you']);
    expect(server.chatRequests[0]?.body.messages.at(-1).content).toBe('how are you');
  });

  it.each([
    ['stdin then a blank line then the argument', 'line one\nline two\n', ['summarize'], 'line one\nline two\n\nsummarize'],
    ['stdin alone', 'hi\n', [], 'hi'],
    ['the argument alone when stdin is blank', '  \n\t\n', ['hello'], 'hello'],
  ])('sends %s', async (_, input, args, expected) => {
    const result = await home.run(['ask', ...args], { input });
    expect(result.code).toBe(0);
    expect(server.chatRequests[0]?.body.messages.at(-1)).toEqual({ role: 'user', content: expected });
  });

  it.each([
    ['no argument and empty stdin', '', []],
    ['only whitespace on stdin', ' \n\n\t', []],
    ['an argument of only spaces', '', ['   ']],
  ])('refuses %s with a usage error and sends nothing', async (_, input, args) => {
    const result = await home.run(['ask', ...args], { input });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Error: Nothing to ask/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });

  it('passes --system, --model and --temperature to the model', async () => {
    const result = await home.run(['ask', '--system', 'Be terse.', '--model', 'llama3', '--temperature', '0.2', 'hi']);
    expect(result.code).toBe(0);
    expect(server.chatRequests[0]?.body).toMatchObject({
      model: 'llama3',
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'hi' },
      ],
    });
  });

  it('refuses a temperature out of range before sending anything', async () => {
    const result = await home.run(['ask', '--temperature', '7', 'hi']);
    expect(result.code).toBe(2); // a bad flag value is a usage error
    expect(result.stderr).toContain('--temperature must be a number from 0 to 2 (got "7")');
    expect(server.requests).toHaveLength(0);
  });

  it('continues a named session with its earlier messages as context', async () => {
    await home.run(['ask', '--session', 'trip', 'I am going to Lisbon.']);
    await home.run(['ask', '--session', 'other', 'unrelated']);
    const result = await home.run(['ask', '--session', 'trip', 'Where am I going?']);

    expect(result.code).toBe(0);
    expect(server.chatRequests[2]?.body.messages).toEqual([
      { role: 'user', content: 'I am going to Lisbon.' },
      { role: 'assistant', content: 'You said: I am going to Lisbon.' },
      { role: 'user', content: 'Where am I going?' },
    ]);
    const trip = (await home.messageRows()).filter((row) => row.session_id === 'trip');
    expect(trip).toHaveLength(4);
  });

  it('continues the most recent session with -c', async () => {
    await home.run(['ask', '--session', 'older', 'first']);
    await home.run(['ask', '--session', 'newer', 'second']);
    await home.run(['ask', '-c', 'third']);
    expect(server.chatRequests[2]?.body.messages.map((message: { content: string }) => message.content)).toEqual([
      'second',
      'You said: second',
      'third',
    ]);
  });

  it('starts a new session for each plain ask', async () => {
    await home.run(['ask', 'one']);
    await home.run(['ask', 'two']);
    expect(server.chatRequests[1]?.body.messages).toHaveLength(1);
    const sessions = new Set((await home.messageRows()).map((row) => row.session_id));
    expect(sessions.size).toBe(2);
  });

  it('prints one JSON object with --json', async () => {
    server.enqueue({ text: 'Four.' });
    const result = await home.run(['ask', '--json', 'two plus two']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ answer: 'Four.', model: 'gpt-4o-mini', cached: false, status: 'complete' });
    expect(output.usage).toMatchObject({ completion_tokens: 1 });
    expect(output.session).toBe((await home.messageRows())[0]!.session_id);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('rejects an unsafe session id', async () => {
    const result = await home.run(['ask', '--session', "x'; DROP TABLE messages;--", 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: Invalid session id/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses --session together with --continue', async () => {
    const result = await home.run(['ask', '--session', 'a', '-c', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not both');
  });

  it('loads .env from the current directory, the environment winning', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${home.root}/.env`, 'ASSISTANT_MODEL=from-dotenv\nASSISTANT_SYSTEM="Dotenv system"\n');
    // The system prompt comes from a .env only when the user trusts it (README "Configuration").
    await home.run(['ask', 'hi'], { env: { ASSISTANT_TRUST_DOTENV: '1' } });
    await home.run(['ask', 'hi'], { env: { ASSISTANT_TRUST_DOTENV: '1', ASSISTANT_MODEL: 'from-environment' } });
    expect(server.chatRequests.map((request) => request.body.model)).toEqual(['from-dotenv', 'from-environment']);
    expect(server.chatRequests[0]?.body.messages[0]).toEqual({ role: 'system', content: 'Dotenv system' });
  });
});
