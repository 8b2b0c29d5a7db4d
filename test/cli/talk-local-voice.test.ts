/**
 * A spoken conversation with no speech server: the question is said into the virtual
 * microphone, heard by a speech-to-text command of the test's own, answered by the local chat
 * server and spoken by espeak-ng into the virtual speaker. Runs serially (one card).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome, collect, waitForOutput } from '../support/cli.js';
import { peakLevel, recordingFromMicrophone, recordSpeaker, soundCardFor, speakIntoMicrophone } from '../support/sound-card.js';
import { waitUntil } from '../support/wait-for.js';

const card = soundCardFor('talk-local-voice');

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe.skipIf(!card.ok)('talk --tts espeak --stt-command through the (virtual) sound card', () => {
  it('hears the question through the command, answers, and espeak-ng speaks the answer into the speaker; no speech request reaches a server', async () => {
    const stt = join(home.root, 'stt');
    // The command gets the utterance's WAV; it says what a recognizer would.
    writeFileSync(stt, `#!/bin/sh\ntest -s "$1" && echo "What is the weather like today?"\n`, { mode: 0o755 });
    server.enqueue({ text: 'It is sunny. Take a hat!' });
    const speaker = recordSpeaker();
    const child = home.start(['talk', '--device', 'pulseaudio:mic', '--player', 'paplay', '--tts', 'espeak', '--stt-command', `${stt} {file}`, '--session', 'offline'], {
      keepStdinOpen: true,
    });
    const done = collect(child);
    await waitUntil(() => recordingFromMicrophone(child.pid!), 'the recorder to open the microphone');
    await speakIntoMicrophone('What is the weather like today?', home.root);
    await waitForOutput(child, 'Take a hat!');
    await waitUntil(async () => (await home.rows('SELECT 1 FROM turns WHERE audio_done_at IS NOT NULL')).length === 1, 'the answer to be spoken');
    child.kill('SIGINT');
    const result = await done;
    const heard = await speaker.stop();

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: What is the weather like today?\nAssistant: It is sunny. Take a hat!\n');
    expect(result.stderr).not.toMatch(/Error|Note/);
    expect(server.transcriptionRequests).toHaveLength(0);
    expect(server.speechRequests).toHaveLength(0);
    expect(server.chatRequests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'What is the weather like today?' });
    expect(peakLevel(heard)).toBeGreaterThan(-40); // espeak-ng's voice reached the speaker
  });
});
