/**
 * `assistant say` through a real player into the virtual sound card's speaker. Runs in the
 * audio project (one card, one file at a time).
 */
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import type { TempHome } from '../support/cli.js';
import { peakLevel, recordSpeaker, soundCardFor, soundThenSilence } from '../support/sound-card.js';
import { waitUntil } from '../support/wait-for.js';

const card = soundCardFor('say-speaker');

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe.skipIf(!card.ok)('assistant say on a (virtual) speaker', () => {
  it('plays each sentence through the player and exits 0 when it has been played', async () => {
    const speaker = recordSpeaker();
    // The recording is connected once the speaker's (silent) stream reaches it.
    await waitUntil(() => speaker.soFar().length > 0, 'the speaker recording to start');
    const result = await home.run(['say', '--player', 'paplay', 'One sentence. And another one.']);
    await waitUntil(() => soundThenSilence(speaker.soFar()), 'the speech to reach the speaker');
    const heard = await speaker.stop();
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(['One sentence.', 'And another one.']);
    // The fake server's tone, not silence, reached the speaker.
    expect(peakLevel(heard)).toBeGreaterThan(-40);
  });

  it('names a missing player and how to go on without one (exit 1)', async () => {
    const result = await home.run(['say', '--player', 'no-such-player', 'Hello.']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-such-player');
    expect(result.stderr).toContain('--out');
    expect(server.speechRequests).toHaveLength(0);
  });
});
