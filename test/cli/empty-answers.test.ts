/**
 * An answer with no visible text (empty, blank, content null, tool calls only, reasoning only)
 * is a failure: a one-line error saying what came back, exit 1, stored as an error, never cached.
 */
import { describe, expect, it } from 'vitest';
import type { ChatReply, FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import type { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

interface Shape {
  name: string;
  reply: ChatReply;
  says: string;
}

const shapes: Shape[] = [
  { name: 'empty', reply: { text: '' }, says: 'sent an empty answer (finish_reason "stop")' },
  { name: 'whitespace only', reply: { text: '  \n\t ' }, says: 'sent a blank answer (whitespace only) (finish_reason "stop")' },
  { name: 'content null', reply: { nullContent: true }, says: 'sent no answer (content: null) (finish_reason "stop")' },
  { name: 'tool calls only', reply: { text: '', toolCalls: true }, says: 'sent tool calls only, no text (assistant does not call tools) (finish_reason "tool_calls")' },
  { name: 'reasoning only', reply: { text: '', reasoning: 'Let me think about this carefully.' }, says: 'sent reasoning only, no answer (finish_reason "stop")' },
  { name: 'reasoning cut at the output limit', reply: { text: '', reasoning: 'Thinking...', finishReason: 'length' }, says: 'sent reasoning only, no answer (finish_reason "length"). The output limit was reached' },
];

const modes = [
  { mode: 'streaming', flags: [] as string[] },
  { mode: '--no-stream', flags: ['--no-stream'] },
];

describe.each(modes)('an empty answer ($mode)', ({ flags }) => {
  it.each(shapes)('$name: exit 1, says what came back, stored as an error, never cached', async ({ reply, says }) => {
    server.enqueue(reply, reply);
    const first = await home.run(['ask', ...flags, 'what is it?']);

    expect(first.code).toBe(1);
    expect(first.stdout).toBe('');
    const lines = first.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Error: 127\.0\.0\.1:\d+ /);
    expect(lines[0]).toContain(says);
    expect(lines[0]).toMatch(/Your question was saved in session \w+\.$/);
    expect((await home.messageRows()).map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'what is it?', 'complete'],
      ['assistant', '', 'error'],
    ]);
    expect(await home.rows('SELECT key FROM cache')).toEqual([]);

    // Not cached: the same question goes to the server again.
    const second = await home.run(['ask', ...flags, 'what is it?']);
    expect(second.code).toBe(1);
    expect(server.chatRequests).toHaveLength(2);

    // The request log files it as a failed request, with the tokens it cost.
    const log = JSON.parse((await home.run(['log', '--errors', '--json'])).stdout) as Array<{ errorClass: string; outputTokens?: number }>;
    expect(log.map((row) => row.errorClass)).toEqual(['EmptyAnswer', 'EmptyAnswer']);
  });

  it('a real answer after leading blank lines is printed whole and cached', async () => {
    server.enqueue({ text: '\n\n  Paris.' });
    const result = await home.run(['ask', ...flags, 'capital?']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('\n\n  Paris.\n');
    expect(await home.rows('SELECT key FROM cache')).toHaveLength(1);
  });
});
