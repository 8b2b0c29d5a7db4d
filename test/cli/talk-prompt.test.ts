/**
 * `talk --text` and `chat` on a real terminal (tmux): what a person types is visible and
 * stays, Up recalls, a paste is one message, Enter/Esc stop an answer, the terminal is left
 * as it was found.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import type { TempHome } from '../support/cli.js';
import { TmuxTerminal, tmuxMissing } from '../support/tmux.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

let terminal: TmuxTerminal | undefined;
afterEach(() => terminal?.close());

const PROMPT_AT_END = /\nYou:$/;

async function start(args: string[], env: Record<string, string> = {}): Promise<TmuxTerminal> {
  terminal = await TmuxTerminal.start(home, args, env);
  await terminal.waitFor(PROMPT_AT_END);
  return terminal;
}

describe.skipIf(tmuxMissing('talk-prompt'))('talk --text on a terminal', () => {
  it('shows what is typed, keeps the You: lines, recalls with Up, ends with the summary on its own line and paste mode off', async () => {
    const screen = await start(['talk', '--text', '--mute', '--session', 'typed']);
    await screen.type('never mind');
    await screen.waitFor(/\nYou: never mind$/);
    await screen.press('C-c'); // with text on the line: clears it, as shells do
    await screen.type('hello there');
    await screen.waitFor(/\nYou: hello there$/);
    await screen.press('Enter');
    await screen.waitFor(/Assistant: You said: hello there\nYou:$/);

    await screen.press('Up');
    await screen.waitFor(/Assistant: You said: hello there\nYou: hello there$/);
    await screen.type(' again');
    await screen.press('Enter');
    await screen.waitFor(/Assistant: You said: hello there again\nYou:$/);
    await screen.press('C-d');
    const end = await screen.waitFor('[exit 0]');

    expect(end).toMatch(
      /\nYou: hello there\nAssistant: You said: hello there\nYou: hello there again\nAssistant: You said: hello there again\nYou:\n2 turns · session typed\n\[exit 0\]$/,
    );
    expect(end).not.toContain('never mind');
    expect(server.chatRequests.map((request) => request.body.messages.at(-1).content)).toEqual(['hello there', 'hello there again']);
    const written = await screen.waitForWritten('\u001b[?2004l');
    expect(written).toContain('\u001b[?2004h');
    expect(written.lastIndexOf('\u001b[?2004l')).toBeGreaterThan(written.lastIndexOf('\u001b[?2004h'));
    // Back at the shell (cat -v here), a paste arrives without markers.
    await screen.paste('after exit');
    const after = await screen.waitFor(/\[exit 0\]\nafter exit$/);
    expect(after).not.toContain('200~');
  });

  it('sends a paste of indented lines as one message, as pasted', async () => {
    const screen = await start(['talk', '--text', '--mute']);
    const code = 'def add(a, b):\n    total = a + b\n    return total';
    await screen.paste(`${code}\n`);
    const shown = await screen.waitFor(/return total\nYou:$/);
    await screen.press('C-d');
    await screen.waitFor('[exit 0]');

    expect(shown).toContain(`You: ${code}\nAssistant: You said: ${code}\nYou:`);
    expect(server.chatRequests).toHaveLength(1);
    expect(server.chatRequests[0]!.body.messages).toEqual([{ role: 'user', content: code }]);
    const rows = await home.messageRows();
    expect(rows.map((row) => [row.role, row.content])).toEqual([
      ['user', code],
      ['assistant', `You said: ${code}`],
    ]);
  });

  it('Enter, Esc and Ctrl-C each stop an answer, which is kept as interrupted, and return to the prompt; a resize does not disturb it', async () => {
    server.enqueue(
      { text: 'never shown', stallAfterChunks: 0 },
      { text: 'one two three four', stallAfterChunks: 2 },
      { text: 'five six seven eight', stallAfterChunks: 2 },
    );
    const screen = await start(['talk', '--text', '--mute', '--session', 'cut']);
    await screen.type('first');
    await screen.press('Enter');
    // The hint names exactly the keys that work here (after how long it has been thinking).
    await screen.waitFor(/\n● thinking… \d+s  Enter, Esc or Ctrl-C to stop$/);
    // An Enter sent earlier would stop a request not yet made.
    await waitUntil(() => server.chatRequests.length >= 1, 'the chat request');
    await screen.press('Enter');
    await screen.waitFor(/\(interrupted\)\nYou:$/);

    await screen.type('second');
    await screen.press('Enter');
    await screen.waitFor(/Assistant: one two$/);
    // A window resized during the answer must not draw the prompt over it.
    await screen.resize(90, 30);
    await screen.press('Escape');
    await screen.waitFor(/Assistant: one two\n\(interrupted\)\nYou:$/);

    await screen.type('third');
    await screen.press('Enter');
    await screen.waitFor(/Assistant: five six$/);
    await screen.press('C-c');
    await screen.waitFor(/Assistant: five six\n\(interrupted\)\nYou:$/);

    await screen.type('fourth');
    await screen.press('Enter');
    await screen.waitFor(/Assistant: You said: fourth\nYou:$/);
    await screen.press('C-d');
    const end = await screen.waitFor('[exit 0]');

    expect(end).toContain('4 turns · session cut');
    expect(end).not.toContain('three');
    expect(end).not.toContain('seven');
    const rows = await home.messageRows();
    expect(rows.map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'first', 'complete'],
      ['assistant', '', 'interrupted'],
      ['user', 'second', 'complete'],
      ['assistant', 'one two ', 'interrupted'],
      ['user', 'third', 'complete'],
      ['assistant', 'five six ', 'interrupted'],
      ['user', 'fourth', 'complete'],
      ['assistant', 'You said: fourth', 'complete'],
    ]);
  });

  it('switches paste mode off however it ends: Ctrl-C twice quickly (130), SIGTERM (143)', async () => {
    server.enqueue({ text: 'one two three', stallAfterChunks: 1 });
    const quick = await start(['talk', '--text', '--mute']);
    await quick.type('go');
    await quick.press('Enter');
    await quick.waitFor(/Assistant: one$/);
    await quick.press('C-c', 'C-c');
    await quick.waitFor('[exit 130]');
    const written = await quick.waitForWritten('\u001b[?2004l');
    expect(written.lastIndexOf('\u001b[?2004l')).toBeGreaterThan(written.lastIndexOf('\u001b[?2004h'));
    await quick.close();

    const terminated = await start(['chat']);
    await terminated.type('half typed');
    await terminated.waitFor(/\nYou: half typed$/);
    process.kill(await terminated.programPid(), 'SIGTERM');
    const end = await terminated.waitFor('[exit 143]');
    expect(end).toMatch(/\nYou: half typed\n0 turns · session [a-z2-9]{8}\n\[exit 143\]$/);
    const writtenToo = await terminated.waitForWritten('\u001b[?2004l');
    expect(writtenToo.lastIndexOf('\u001b[?2004l')).toBeGreaterThan(writtenToo.lastIndexOf('\u001b[?2004h'));
  });

  it('offers the session\'s earlier questions on Up when continuing it', async () => {
    await home.run(['ask', '--session', 'earlier', 'what is the capital of France?']);
    const screen = await start(['talk', '--text', '--mute', '--session', 'earlier']);
    await screen.press('Up');
    await screen.waitFor(/\nYou: what is the capital of France\?$/);
    await screen.press('Enter');
    await screen.waitFor(/Assistant: You said: what is the capital of France\?\nYou:$/);
    await screen.press('C-d');
    await screen.waitFor('[exit 0]');
    expect(server.chatRequests).toHaveLength(2);
  });
});

describe.skipIf(tmuxMissing('talk-prompt'))('assistant chat', () => {
  it('is the typed loop: prompt, answer, the session flags', async () => {
    const screen = await start(['chat', '--session', 'notes', '--system', 'Answer briefly.']);
    await screen.type('hi');
    await screen.press('Enter');
    await screen.waitFor(/Assistant: You said: hi\nYou:$/);
    await screen.press('C-d');
    const end = await screen.waitFor('[exit 0]');

    expect(end).toMatch(/Talking in session notes\./);
    expect(end).toMatch(/\nYou:\n1 turn · session notes\n\[exit 0\]$/);
    expect(server.chatRequests[0]!.body.messages).toEqual([
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(server.speechRequests).toHaveLength(0);
  });

  it('reads one message per line when piped, and explains itself in --help', async () => {
    const piped = await home.run(['chat', '-s', 'piped'], { input: 'hello\n  and more\n' });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe('You: hello\nAssistant: You said: hello\nYou: and more\nAssistant: You said: and more\n');
    const help = await home.run(['chat', '--help']);
    expect(help.stdout).toContain('talk --text --mute');
    expect(help.stdout).toContain('--no-cache');
    expect(help.stdout).toContain('Examples:');
  });
});
