/** Rate and spend limits shared by every process through the store. */
import { describe, expect, it } from 'vitest';
import { SpendGuard } from '../../src/observability/spend-guard.js';
import type { RequestTotals } from '../../src/store/store.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe('rate and spend limits', () => {
  it('stops the third request in a minute across processes (exit 3), keeps the question, and lets cache hits through', async () => {
    const env = { ASSISTANT_MAX_REQUESTS_PER_MINUTE: '2' };
    expect((await home.run(['ask', 'one'], { env })).code).toBe(0);
    expect((await home.run(['ask', 'two'], { env })).code).toBe(0);
    const third = await home.run(['ask', 'three'], { env });
    expect(third.code).toBe(3);
    expect(third.stderr).toMatch(/^Error: The limit of 2 requests per minute \(ASSISTANT_MAX_REQUESTS_PER_MINUTE\) is reached\. Try again later, pass --wait/);
    expect(server.chatRequests).toHaveLength(2);
    expect((await home.messageRows()).filter((row) => row.content === 'three')).toHaveLength(1);
    const cached = await home.run(['ask', '--cache', 'one'], { env });
    expect(cached).toMatchObject({ code: 0, stdout: 'You said: one\n' });
  });

  it('stops when the tokens of the last 24 hours reach the daily limit', async () => {
    const env = { ASSISTANT_MAX_TOKENS_PER_DAY: '10' };
    expect((await home.run(['ask', 'a question long enough to use some tokens'], { env })).code).toBe(0);
    const next = await home.run(['ask', 'another'], { env });
    expect(next.code).toBe(3);
    expect(next.stderr).toMatch(/The limit of 10 tokens per day \(ASSISTANT_MAX_TOKENS_PER_DAY\) is reached: \d+ used in the last 24 hours/);
  });

  it('talk reports the limit for a turn and goes on', async () => {
    const result = await home.run(['talk', '--text', '--mute'], { input: 'one\ntwo\nthree\n', env: { ASSISTANT_MAX_REQUESTS_PER_MINUTE: '2' } });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/limit of 2 requests per minute .* Listening again|limit of 2 requests per minute/);
    expect(server.chatRequests).toHaveLength(2);
  });

  it('--wait waits for room instead of failing', async () => {
    let now = 0;
    let requests = 5;
    const store: RequestTotals = { requestTotals: async () => ({ requests, tokens: 0 }) };
    const notes: string[] = [];
    const guard = new SpendGuard(store, { maxRequestsPerMinute: 5, maxTokensPerDay: undefined }, {
      wait: true,
      onWait: (note) => notes.push(note),
      now: () => now,
      sleep: async (ms) => {
        now += ms;
        if (now >= 3000) requests = 4; // the oldest request leaves the window
      },
    });
    await guard.beforeModelCall();
    expect(now).toBe(3000);
    expect(notes).toEqual(['The limit of 5 requests per minute (ASSISTANT_MAX_REQUESTS_PER_MINUTE) is reached. Waiting…']);
  });
});
