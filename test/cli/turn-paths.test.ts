/** The turn core's early exits, seen from `ask`: a turn stopped before anything was asked stores nothing and says so. */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { silence, speechLike } from '../support/audio-fixtures.js';
import { collect, type TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe('ask --audio stopped while transcribing', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: nothing is asked or stored, the exit code says why', async (signal, code) => {
    const memo = `${home.root}/memo.wav`;
    writeFileSync(memo, encodeWav(Buffer.concat([silence(300), speechLike(1200), silence(300)])));
    server.transcriptions.push({ hang: true });
    const child = home.start(['ask', '--audio', memo]);
    const done = collect(child);
    await waitUntil(() => server.transcriptionRequests.length > 0, 'the transcription request');
    child.kill(signal);
    const result = await done;
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Interrupted while transcribing; nothing was asked\./);
    expect(server.chatRequests).toHaveLength(0);
    expect(await home.messageRows()).toEqual([]);
  });
});
