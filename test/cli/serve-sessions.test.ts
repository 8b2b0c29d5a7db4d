/**
 * The sessions routes of a running `assistant serve` (on SQLite and PostgreSQL, the local
 * OpenAI-compatible server upstream), with tokens made by `assistant token create`: each
 * person lists, searches, reads and deletes only their own sessions.
 */
import { describe, expect, it } from 'vitest';
import { collect, type TempHome } from '../support/cli.js';
import { useCliHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-for.js';

let home: TempHome;
useCliHarness((current) => ({ home } = current));

describe('assistant serve: sessions', () => {
  it("alice lists, searches, reads and deletes her sessions; bob never sees them", async () => {
    const newToken = async (name: string): Promise<string> => (await home.run(['token', 'create', '--name', name])).stdout.trim();
    const alice = await newToken('alice');
    const bob = await newToken('bob');
    const child = home.start(['serve', '--port', '0']);
    const done = collect(child);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitUntil(() => stdout.includes('"listening"'), 'serve to listen');
    const { port } = JSON.parse(stdout.split('\n').find((line) => line.includes('"listening"'))!) as { port: number };
    const call = (path: string, token: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
    const ask = async (text: string, token: string): Promise<string> =>
      ((await (await call('/v1/ask', token, { method: 'POST', body: JSON.stringify({ text }) })).json()) as { session: string }).session;

    const hers = await ask('the giraffe question', alice);
    const his = await ask('the giraffe secret', bob);

    expect(await (await call('/v1/sessions', alice)).json()).toEqual({
      sessions: [{ id: hers, created_at: expect.any(String), updated_at: expect.any(String), message_count: 2, preview: 'the giraffe question' }],
    });
    const found = (await (await call('/v1/sessions?search=giraffe', alice)).json()) as { hits: Array<{ session: string }> };
    expect(new Set(found.hits.map((hit) => hit.session))).toEqual(new Set([hers]));
    const transcript = (await (await call(`/v1/sessions/${hers}`, alice)).json()) as { messages: Array<{ role: string; content: string }> };
    expect(transcript.messages.map(({ role, content }) => [role, content])).toEqual([['user', 'the giraffe question'], ['assistant', 'You said: the giraffe question']]);

    expect((await call(`/v1/sessions/${his}`, alice)).status).toBe(404);
    expect((await call(`/v1/sessions/${his}`, alice, { method: 'DELETE' })).status).toBe(404);
    expect((await call(`/v1/sessions/${hers}`, alice, { method: 'DELETE' })).status).toBe(204);
    expect((await home.messageRows()).map((row) => row.session_id)).toEqual([his, his]);

    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
    expect(stdout).toContain('"path":"/v1/sessions/:id"');
  });
});
