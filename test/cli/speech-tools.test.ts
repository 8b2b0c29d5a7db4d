/** `assistant say --out` and `assistant transcribe`: the speech stages as Unix tools, against the local server. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWavHeader, encodeWav } from '../../src/audio/wav.js';
import { silence, speechLike } from '../support/audio-fixtures.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { parseMultipart } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { fixturesFor, speak, turnFixtures } from '../support/turn-fixtures.js';
import type { TempHome } from '../support/cli.js';

const spokenFixtures = fixturesFor('speech-tools');

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe('assistant say --out', () => {
  it('synthesizes sentence by sentence with the configured voice and writes one WAV', async () => {
    const out = join(home.root, 'welcome.wav');
    const result = await home.run(['say', '--out', out, '--voice', 'nova', 'Welcome **home**. The build is green!']);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toMatch(/^Wrote .*welcome\.wav \(\d+ kB\)\.\n$/);
    // Markdown is not read aloud; each sentence is one request, as talk speaks a reply.
    expect(server.speechRequests.map((request) => [request.body.input, request.body.voice, request.body.model, request.body.response_format])).toEqual([
      ['Welcome home.', 'nova', 'gpt-4o-mini-tts', 'wav'],
      ['The build is green!', 'nova', 'gpt-4o-mini-tts', 'wav'],
    ]);
    const wav = readFileSync(out);
    const header = parseWavHeader(wav)!;
    expect(header.format).toMatchObject({ channels: 1, bitsPerSample: 16 });
    // Both sentences' audio, one after the other, under one header.
    expect(wav.length - header.dataOffset).toBeGreaterThan(0);
  });

  it('serves a sentence spoken before from the speech cache, and reads piped text', async () => {
    await home.run(['say', '--out', join(home.root, 'a.wav'), 'Hello there.']);
    const second = await home.run(['say', '--out', join(home.root, 'b.wav')], { input: 'Hello there. And more.\n' });
    expect(second.code).toBe(0);
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(['Hello there.', 'And more.']);
    expect(await home.rows("SELECT kind, COUNT(*) AS entries FROM cache GROUP BY kind")).toEqual([{ kind: 'speech', entries: 2 }]);
  });

  it('fails clearly: nothing to say (exit 2), the speech server refusing (exit 1)', async () => {
    const nothing = await home.run(['say', '--out', join(home.root, 'x.wav')]);
    expect(nothing).toMatchObject({ code: 2, stdout: '' });
    expect(nothing.stderr).toContain('Nothing to say');
    server.speechReplies.push({ status: 400, errorMessage: 'unknown voice' });
    const refused = await home.run(['say', '--out', join(home.root, 'y.wav'), 'Hi.']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('unknown voice');
  });
});

describe('assistant transcribe', () => {
  it('prints the transcript alone on stdout; the same audio again comes from the cache', async () => {
    const memo = join(home.root, 'memo.wav');
    writeFileSync(memo, encodeWav(speechLike(1500)));
    server.transcriptions.push({ text: ' Remind me to buy milk. ' });
    const result = await home.run(['transcribe', '--language', 'en', memo]);
    expect(result).toMatchObject({ code: 0, stdout: 'Remind me to buy milk.\n', stderr: '' });
    const upload = parseMultipart(server.transcriptionRequests[0]!)!;
    expect(upload.fields).toMatchObject({ model: 'gpt-4o-mini-transcribe', language: 'en' });
    expect(upload.file.equals(readFileSync(memo))).toBe(true);

    const again = await home.run(['transcribe', '--json', '--language', 'en', memo]);
    expect(JSON.parse(again.stdout)).toEqual({ file: memo, text: 'Remind me to buy milk.', model: 'gpt-4o-mini-transcribe', cached: true });
    expect(server.transcriptionRequests).toHaveLength(1);
  });

  it('reads audio from stdin with -', async () => {
    server.transcriptions.push({ text: 'From a pipe.' });
    const result = await home.run(['transcribe', '-'], { input: encodeWav(speechLike(1000)) });
    expect(result).toMatchObject({ code: 0, stdout: 'From a pipe.\n' });
    expect(parseMultipart(server.transcriptionRequests[0]!)!.filename).toBe('audio.wav');
  });

  it('refuses a missing file, silence and a file that is not audio before anything is sent (exit 2)', async () => {
    const missing = await home.run(['transcribe', join(home.root, 'nope.wav')]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('no such file');

    const quiet = join(home.root, 'quiet.wav');
    writeFileSync(quiet, encodeWav(silence(2000)));
    const silent = await home.run(['transcribe', quiet]);
    expect(silent).toMatchObject({ code: 2, stdout: '', stderr: 'Error: quiet.wav holds no speech (silence, or sound without words), so it was not sent for transcription.\n' });

    const notes = join(home.root, 'notes.mp3');
    writeFileSync(notes, 'just some text, not audio at all\n'.repeat(50));
    const text = await home.run(['transcribe', notes]);
    expect(text).toMatchObject({ code: 2, stdout: '' });
    expect(text.stderr).toContain('notes.mp3 is not audio that can be read');
    expect(server.transcriptionRequests).toHaveLength(0);
  });

  it.skipIf(!spokenFixtures)('refuses a fan switched on and music, judged by the speech detector (Silero), before anything is sent; words are sent', async () => {
    for (const name of ['fan', 'music']) {
      const file = join(home.root, `${name}.wav`);
      writeFileSync(file, encodeWav(turnFixtures().find((fixture) => fixture.name.startsWith(name))!.pcm));
      const transcribed = await home.run(['transcribe', file]);
      expect(transcribed).toMatchObject({ code: 2, stdout: '', stderr: `Error: ${name}.wav holds no speech (silence, or sound without words), so it was not sent for transcription.\n` });
      const asked = await home.run(['ask', '--audio', file]);
      expect(asked).toMatchObject({ code: 2, stdout: '' });
      expect(asked.stderr).toContain(`${name}.wav holds no speech`);
    }
    expect(server.transcriptionRequests).toHaveLength(0);
    expect(server.chatRequests).toHaveLength(0);

    const words = join(home.root, 'words.wav');
    writeFileSync(words, encodeWav(speak('What time is it?')));
    server.transcriptions.push({ text: 'What time is it?' });
    expect(await home.run(['transcribe', words])).toMatchObject({ code: 0, stdout: 'What time is it?\n' });
    expect(server.transcriptionRequests).toHaveLength(1);
  });

  it('says so when no words were recognised (exit 1)', async () => {
    const memo = join(home.root, 'hum.wav');
    writeFileSync(memo, encodeWav(speechLike(1000)));
    server.transcriptions.push({ text: '' });
    const result = await home.run(['transcribe', memo]);
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'Error: No words were recognised in hum.wav.\n' });
  });
});

// espeak-ng's real speech through the whole tool chain: say writes it, transcribe sends it.
describe.skipIf(!hasEspeak())('say and transcribe together', () => {
  it('say --out writes a WAV that transcribe accepts as speech', async () => {
    const memo = join(home.root, 'spoken.wav');
    execFileSync('espeak-ng', ['-w', memo, 'The meeting moved to Thursday']);
    server.speechReplies.push({ body: readFileSync(memo) });
    const out = join(home.root, 'said.wav');
    expect((await home.run(['say', '--out', out, 'The meeting moved to Thursday.'])).code).toBe(0);
    server.transcriptions.push({ text: 'The meeting moved to Thursday.' });
    const result = await home.run(['transcribe', out]);
    expect(result).toMatchObject({ code: 0, stdout: 'The meeting moved to Thursday.\n' });
  });
});

describe.skipIf(!hasEspeak())('say and transcribe with local engines, no speech server', () => {
  it('say --tts espeak writes espeak-ng\'s speech; transcribe --stt-command prints what the program heard', async () => {
    const out = join(home.root, 'local.wav');
    const said = await home.run(['say', '--tts', 'espeak', '--out', out, 'No server needed.']);
    expect(said.code).toBe(0);
    expect(parseWavHeader(readFileSync(out))?.format.sampleRate).toBe(22_050);
    const heard = await home.run(['transcribe', '--stt-command', 'sh -c "test -s {file} && echo no server heard"', out]);
    expect(heard).toMatchObject({ code: 0, stdout: 'no server heard\n' });
    expect(server.speechRequests).toEqual([]);
    expect(server.transcriptionRequests).toEqual([]);
  });
});

function hasEspeak(): boolean {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
