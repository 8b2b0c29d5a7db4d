/**
 * `talk`'s speculative start, end to end: the built CLI reads an utterance from a file
 * (--device wav:<file>, so no sound card is needed), against the local OpenAI-compatible
 * server. The pause before the end of the utterance starts the turn; the turn takes that
 * work (one transcription, one chat request), its calls are marked speculative in the
 * request log under the stored turn, and `assistant stats` counts them. --no-speculate
 * turns it off.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { silence, speechLike } from '../support/audio-fixtures.js';
import { useCliHarness } from '../support/harness.js';
import type { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/** A 16 kHz WAV of these pieces (the detector calibrates on the first 300 ms of silence). */
function utteranceFile(pieces: Buffer[]): string {
  const file = join(home.root, 'utterance.wav');
  writeFileSync(file, encodeWav(Buffer.concat(pieces)));
  return file;
}

interface RequestRow {
  endpoint: string;
  speculative: boolean | number;
  turn_key: string | null;
}

describe('talk: speculative start', () => {
  it('the pause that ends the turn started it: one transcription, one chat request, marked speculative under the stored turn, counted by stats', async () => {
    const file = utteranceFile([silence(600), speechLike(900), silence(1200)]);
    const result = await home.run(['talk', '--device', `wav:${file}`, '--mute', '--session', 'spec']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: hello from the microphone\nAssistant: You said: hello from the microphone\n');
    expect(server.transcriptionRequests).toHaveLength(1);
    expect(server.chatRequests).toHaveLength(1);
    expect((await home.messageRows()).map((row) => [row.role, row.content])).toEqual([
      ['user', 'hello from the microphone'],
      ['assistant', 'You said: hello from the microphone'],
    ]);
    const [turn] = await home.rows<{ turn_key: string }>('SELECT turn_key FROM turns');
    const requests = await home.rows<RequestRow>('SELECT endpoint, speculative, turn_key FROM requests ORDER BY id');
    expect(requests.filter((row) => row.endpoint !== 'models').map((row) => [row.endpoint, Boolean(row.speculative), row.turn_key])).toEqual([
      ['transcription', true, turn!.turn_key],
      ['chat', true, turn!.turn_key],
    ]);
    const stats = await home.run(['stats']);
    expect(stats.stdout).toContain('Speculative starts 1: used 1, discarded 0 (0.00 extra transcriptions per turn)');
  });

  it('--no-speculate: the turn is transcribed when it ends, nothing is marked speculative', async () => {
    const file = utteranceFile([silence(600), speechLike(900), silence(1200)]);
    const result = await home.run(['talk', '--device', `wav:${file}`, '--mute', '--no-speculate', '--session', 'plain']);
    expect(result.code).toBe(0);
    expect(server.transcriptionRequests).toHaveLength(1);
    expect(await home.rows('SELECT 1 FROM requests WHERE speculative')).toEqual([]);
    expect((await home.run(['stats'])).stdout).not.toContain('Speculative');
  });

  it('speech after a pause discards its speculation: one turn, stored once, the discarded start counted', async () => {
    const file = utteranceFile([silence(600), speechLike(900), silence(450), speechLike(700), silence(1200)]);
    const result = await home.run(['talk', '--device', `wav:${file}`, '--mute', '--session', 'paused']);
    expect(result.code).toBe(0);
    expect(await home.rows('SELECT 1 FROM turns')).toHaveLength(1);
    expect((await home.messageRows()).filter((row) => row.role === 'user')).toHaveLength(1);
    const stats = await home.run(['stats']);
    expect(stats.stdout).toMatch(/Speculative starts 2: used 1, discarded 1 \(1\.00 extra transcriptions per turn\)/);
  });
});
