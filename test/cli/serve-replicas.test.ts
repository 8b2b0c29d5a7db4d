/**
 * A replica killed mid-stream: two `assistant serve` processes on one PostgreSQL, an answer
 * streaming from replica A when A is killed (SIGKILL: no drain, no goodbye). The client's
 * stream ends instead of hanging, the question is in the store, and replica B carries on with
 * the same session, since nothing of a request's state lives only in one process.
 * On SQLite (one machine, one file) the test is skipped with a note.
 */
import { describe, expect, it } from 'vitest';
import { TEST_STORE, type TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { createToken, serverSentEvents, startServe, type RunningServe, type ServerSentEvent } from '../support/serve-process.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

if (TEST_STORE !== 'postgres') console.warn('[serve-replicas] SKIPPED on SQLite: the killed-replica test runs on PostgreSQL only. To run it, set ASSISTANT_TEST_POSTGRES_URL (eval "export $(bash test/support/postgres-setup.sh)"); CI does.');

const ask = (base: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body) });

describe.skipIf(TEST_STORE !== 'postgres')('a replica killed mid-stream', () => {
  it("the client's stream ends, the question is stored, and the other replica serves the session on", async () => {
    const token = await createToken(home, 'dana');
    const replicas: RunningServe[] = [await startServe(home), await startServe(home)];
    const [a, b] = replicas as [RunningServe, RunningServe];
    try {
      // The answer on A stops after two words and waits there: A dies mid-answer.
      server.enqueue({ text: 'The number is forty two.', stallAfterChunks: 2 });
      const response = await ask(a.base, token, { text: 'remember the number 42' }, { accept: 'text/event-stream' });
      const events = serverSentEvents(response.body!);
      const seen: ServerSentEvent[] = [];
      for await (const event of events) {
        seen.push(event);
        if (event.event === 'text') break;
      }
      const session = seen[0]!.data.session as string;

      a.child.kill('SIGKILL');
      // The rest of the stream: it ends (cut or closed), with no done event, rather than hanging.
      const rest = await (async () => {
        const names: string[] = [];
        try {
          for await (const event of events) names.push(event.event);
          return { names, cut: false };
        } catch {
          return { names, cut: true };
        }
      })();
      expect(rest.names).not.toContain('done');
      expect((await a.done).signal).toBe('SIGKILL');

      // The question was stored before the model was called; the answer died with A.
      expect((await home.messageRows()).map((row) => [row.session_id, row.role, row.status, row.content])).toEqual([[session, 'user', 'complete', 'remember the number 42']]);

      const next = await ask(b.base, token, { text: 'which number?', session });
      expect(next.status).toBe(200);
      expect(await next.json()).toMatchObject({ session, answer: 'You said: which number?', status: 'complete' });
      const shown = await fetch(`${b.base}/v1/sessions/${session}`, { headers: { authorization: `Bearer ${token}` } });
      expect(shown.status).toBe(200);
      const { messages } = (await shown.json()) as { messages: Array<{ role: string; content: string }> };
      expect(messages.map((message) => [message.role, message.content])).toEqual([
        ['user', 'remember the number 42'],
        ['user', 'which number?'],
        ['assistant', 'You said: which number?'],
      ]);
      // As context B sends whole question-and-answer pairs only: the question whose answer died with A is history, not context.
      expect(server.chatRequests.at(-1)!.body.messages).toEqual([{ role: 'user', content: 'which number?' }]);
    } finally {
      for (const { child } of replicas) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.all(replicas.map(({ done }) => done));
    }
  });
});
