/**
 * `assistant say` through a real player into the virtual sound card's speaker. Runs in the
 * audio project (one card, one file at a time).
 */
import { describe, expect, it } from 'vitest';
import { decibels } from '../../src/audio/voice-activity.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import type { TempHome } from '../support/cli.js';
import { recordSpeaker, soundThenSilence, startSoundCard } from '../support/sound-card.js';
import { waitUntil } from '../support/wait-for.js';

const card = startSoundCard();
if (!card.ok) {
  if (process.env.ASSISTANT_REQUIRE_AUDIO) throw new Error(`the real-audio tests cannot run: ${card.reason}`);
  console.warn(`\n[say-speaker] SKIPPED the real-audio tests: ${card.reason}\n`);
}

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/** Loudest 100 ms of 16 kHz mono PCM, in dBFS. */
function peakLevel(pcm: Buffer): number {
  let peak = -100;
  for (let offset = 0; offset + 3200 <= pcm.length; offset += 3200) peak = Math.max(peak, decibels(pcm.subarray(offset, offset + 3200)));
  return peak;
}

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
