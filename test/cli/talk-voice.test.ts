/**
 * Real audio through the virtual sound card: espeak-ng speech into the virtual microphone,
 * SoX recording it, the reply played into the virtual speaker. Runs serially (one card).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { FakeOpenAIServer, parseMultipart } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { BIN, TempHome, collect, waitForOutput } from '../support/cli.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { peakLevel, playingOnSpeaker, playIntoMicrophone, processesMatching, recordingFromMicrophone, recordSpeaker, soundCardFor, soundThenSilence, speakIntoMicrophone } from '../support/sound-card.js';
import { waitUntil } from '../support/wait-for.js';

const card = soundCardFor('talk-voice');

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/** Resolves once `child` (or a process it started) records from the virtual microphone. */
function microphoneOpenedBy(child: ChildProcess): Promise<void> {
  return waitUntil(() => recordingFromMicrophone(child.pid!), 'the recorder to open the microphone');
}

/** Resolves once `child` (or a process it started) plays into the virtual speaker. */
function speakerPlayedBy(child: ChildProcess): Promise<void> {
  return waitUntil(() => playingOnSpeaker(child.pid!), 'the player to start');
}

function audioChildren(): string[] {
  return [...processesMatching('sox'), ...processesMatching('paplay')].filter((line) => line.includes('-t raw') || line.includes('--raw'));
}

describe.skipIf(!card.ok)('assistant talk with a (virtual) microphone and speaker', () => {
  it('hears a spoken sentence, answers aloud sentence by sentence, stores the turn, exits cleanly on Ctrl-C', async () => {
    server.transcriptions.push({ text: 'What is the weather like today?' });
    server.enqueue({ text: 'It is sunny. Take a hat! Enjoy the day.' });
    const speaker = recordSpeaker();
    const child = home.start(['talk', '--device', 'pulseaudio:mic', '--player', 'paplay', '--verbose', '--session', 'voice'], { keepStdinOpen: true });
    const done = collect(child);
    await microphoneOpenedBy(child);
    await speakIntoMicrophone('What is the weather like today?', home.root);
    await waitUntil(() => server.speechRequests.length === 3, 'three speech requests');
    await waitForOutput(child, 'Enjoy the day.');
    await waitUntil(async () => (await home.rows('SELECT 1 FROM turns')).length === 1, 'the stored turn');
    child.kill('SIGINT');
    const result = await done;
    const heard = await speaker.stop();

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: What is the weather like today?\nAssistant: It is sunny. Take a hat! Enjoy the day.\n');
    expect(result.stderr).toMatch(/time to first audio \d+\.\d\d s/);
    expect(result.stderr).toMatch(/1 turn · session voice\n$/);

    // One upload of plausible length: espeak says it in about 1.8 s; with pre-roll and the silence heard, 1.5-4.5 s of 16 kHz audio
    // (the speculative start uploads the utterance as it was at the pause, 200 ms into the silence).
    expect(server.transcriptionRequests).toHaveLength(1);
    const upload = parseMultipart(server.transcriptionRequests[0]!)!;
    expect(upload.fields.model).toBe('gpt-4o-mini-transcribe');
    const seconds = (upload.file.length - 44) / 32_000;
    expect(seconds).toBeGreaterThan(1.5);
    expect(seconds).toBeLessThan(4.5);
    expect(server.chatRequests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'What is the weather like today?' });
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(['It is sunny.', 'Take a hat!', 'Enjoy the day.']);
    expect(server.speechRequests[0]!.body).toMatchObject({ model: 'gpt-4o-mini-tts', voice: 'alloy', response_format: 'wav' });
    expect(peakLevel(heard)).toBeGreaterThan(-40); // the tone reached the speaker

    const rows = (await home.messageRows());
    expect(rows.map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'What is the weather like today?', 'complete'],
      ['assistant', 'It is sunny. Take a hat! Enjoy the day.', 'complete'],
    ]);
    const [turn] = await home.rows<{ input: string; time_to_first_audio_ms: number; transcript_at: number; first_audio_at: number; audio_done_at: number }>(
      'SELECT * FROM turns',
    );
    expect(turn!.input).toBe('voice');
    expect(turn!.time_to_first_audio_ms).toBeGreaterThan(0);
    expect(turn!.first_audio_at).toBeGreaterThanOrEqual(turn!.transcript_at);
    expect(turn!.audio_done_at).toBeGreaterThanOrEqual(turn!.first_audio_at);
    expect(audioChildren()).toEqual([]);

    // The request log has the turn's three kinds of call, with their measures.
    const log = JSON.parse((await home.run(['log', '--json'])).stdout).reverse();
    // Rows are written as calls finish, and speech overlaps the streaming reply: compare as sets.
    type Row = { endpoint: string; firstByteMs: number; characters: number; audioSeconds: number };
    expect(log.map((row: Row) => row.endpoint).sort(), JSON.stringify(log)).toEqual(['chat', 'speech', 'speech', 'speech', 'transcription']);
    const speech = log.filter((row: Row) => row.endpoint === 'speech');
    expect(speech.every((row: Row) => row.firstByteMs > 0)).toBe(true);
    expect(speech.map((row: Row) => row.characters).sort()).toEqual([11, 12, 14]);
    expect(log.find((row: Row) => row.endpoint === 'transcription').audioSeconds).toBeGreaterThan(1.5);
    expect(new Set(log.map((row: { turnKey: string }) => row.turnKey)).size).toBe(1);
  });

  it('sends nothing for transcription when only silence reaches the microphone', async () => {
    const silent = join(home.root, 'silence.wav');
    writeFileSync(silent, encodeWav(Buffer.alloc(16_000 * 2 * 3)));
    server.transcriptions.push({ text: 'After the silence.' });
    const child = home.start(['talk', '--device', 'pulseaudio:mic', '--mute'], { keepStdinOpen: true });
    const done = collect(child);
    await microphoneOpenedBy(child);
    await playIntoMicrophone(silent);
    // Words after the silence show, without waiting for nothing to happen, how the silence was
    // taken: it had no upload of its own, and it is not part of the words' upload.
    await speakIntoMicrophone('After the silence.', home.root);
    await waitForOutput(child, 'You said: After the silence.');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(server.transcriptionRequests).toHaveLength(1);
    const upload = parseMultipart(server.transcriptionRequests[0]!)!;
    // About 2.2 s: pre-roll, 1.3 s of words and the trailing silence; with the 3 s of silence it would be over 5 s.
    expect((upload.file.length - 44) / 32_000).toBeLessThan(3);
    expect(server.chatRequests).toHaveLength(1);
    expect(audioChildren()).toEqual([]);
  });

  it('an interrupted spoken answer is stored as what was heard, marked interrupted', async () => {
    // 2.8 s for the first sentence: paplay starts playing only once about 2 s are buffered.
    server.defaultSpeech = { millisecondsPerCharacter: 100 };
    try {
      server.enqueue({ text: 'The first sentence is heard. The second sentence is never heard. The third is never reached. Nor the fourth one.' });
      // The second sentence's audio never comes: once the first has played, the speaker stays silent until Ctrl-C.
      server.speechByInput.set('The second sentence is never heard.', { stallAfterBytes: 0 });
      const speaker = recordSpeaker();
      const child = home.start(['talk', '--text', '--player', 'paplay', '--session', 'cut'], { keepStdinOpen: true });
      const done = collect(child);
      child.stdin!.write('tell me four things\n');
      await waitUntil(() => soundThenSilence(speaker.soFar()), 'the first sentence to be played');
      await speaker.stop();
      child.kill('SIGINT');
      await waitUntil(async () => (await home.messageRows()).length === 2, 'the stored answer');
      child.stdin!.end();
      const result = await done;
      expect(result.code).toBe(0);
      const answer = (await home.messageRows())[1]!;
      expect(answer.status).toBe('interrupted');
      expect(answer.content).toBe('The first sentence is heard.');
      expect(audioChildren()).toEqual([]);
    } finally {
      server.defaultSpeech = {};
    }
  });

  it('ask --speak speaks each sentence, and a repeated phrase plays from the cache', async () => {
    server.enqueue({ text: 'One. Two.' }, { text: 'Two. Three.' });
    const first = await home.run(['ask', '--speak', '--player', 'paplay', '--no-cache', 'count']);
    const second = await home.run(['ask', '--speak', '--player', 'paplay', '--no-cache', 'count on']);
    expect(first).toMatchObject({ code: 0, stdout: 'One. Two.\n' });
    expect(second.code).toBe(0);
    // --no-cache applies to every cache, so "Two." was synthesized twice here...
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(['One.', 'Two.', 'Two.', 'Three.']);
    server.requests.length = 0;
    server.enqueue({ text: 'Two. Four.' });
    // The same question twice, its answer served from the cache the second time (whatever the answer-cache policy).
    const cacheAnswers = { env: { ASSISTANT_CACHE_ANSWERS: 'always' } };
    await home.run(['ask', '--speak', '--player', 'paplay', 'count again'], cacheAnswers);
    await home.run(['ask', '--speak', '--player', 'paplay', 'count again'], cacheAnswers);
    // ...and with the cache, a phrase synthesized before is played without a request.
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(['Two.', 'Four.']);
    const stats = JSON.parse((await home.run(['cache', 'stats', '--json'])).stdout);
    expect(stats.kinds.find((kind: { kind: string }) => kind.kind === 'speech')).toMatchObject({ entries: 2, hits: 2 });

    // What a session said aloud goes with it: deleting the session deletes its synthesized speech.
    // The first 'count again' synthesized and cached; the second was served from the cache.
    const spoken = JSON.parse((await home.run(['history', '--json'])).stdout)[1].id as string;
    expect(await home.rows(`SELECT kind FROM cache WHERE session_id = '${spoken}' ORDER BY kind`)).toEqual([{ kind: 'chat' }, { kind: 'speech' }, { kind: 'speech' }]);
    expect((await home.run(['history', '--delete', spoken, '--yes'])).code).toBe(0);
    expect(await home.rows(`SELECT kind FROM cache WHERE session_id = '${spoken}'`)).toEqual([]);
  });

  it('ask --audio transcribes a recording and answers it; silence and non-audio are refused before upload', async () => {
    const memo = join(home.root, 'memo.wav');
    execFileSync('espeak-ng', ['-w', memo, 'Remind me to buy milk']);
    server.transcriptions.push({ text: 'Remind me to buy milk.' });
    const asked = await home.run(['ask', '--audio', memo, 'make it a to-do item']);
    expect(asked.code).toBe(0);
    expect(server.chatRequests[0]!.body.messages.at(-1).content).toBe('Remind me to buy milk.\n\nmake it a to-do item');
    expect(parseMultipart(server.transcriptionRequests[0]!)!.filename).toBe('memo.wav');

    const piped = await home.run(['ask', '--audio', '-'], { input: execFileSync('cat', [memo]) });
    expect(piped.code).toBe(0);
    expect(server.transcriptionRequests).toHaveLength(1); // the same audio again: from the cache

    const silent = join(home.root, 'silent.wav');
    writeFileSync(silent, encodeWav(Buffer.alloc(32_000 * 3)));
    const silence = await home.run(['ask', '--audio', silent]);
    expect(silence.code).toBe(2);
    expect(silence.stderr).toMatch(/silent\.wav holds no speech .* not sent for transcription/);

    const text = join(home.root, 'notes.mp3');
    writeFileSync(text, 'this is not audio at all, just text pretending');
    const notAudio = await home.run(['ask', '--audio', text]);
    expect(notAudio.code).toBe(2);
    expect(notAudio.stderr).toMatch(/notes\.mp3 is not audio that can be read/);

    const missing = await home.run(['ask', '--audio', join(home.root, 'nope.wav')]);
    expect(missing.stderr).toMatch(/Cannot read the audio file .*nope\.wav: no such file/);
    expect(server.transcriptionRequests).toHaveLength(1);
  });

  it('on a terminal: Space stops the spoken answer, Ctrl-D ends the session', async () => {
    server.defaultSpeech = { millisecondsPerCharacter: 60 };
    try {
      server.transcriptions.push({ text: 'Tell me a long story.' });
      server.enqueue({ text: 'Once upon a time there was a voice. It spoke for a very long while. It never seemed to stop talking.' });
      // util-linux `script` gives the CLI a pseudo-terminal; what we write to script's stdin is typed into it.
      const command = `stty cols 100 rows 30; exec '${process.execPath}' '${BIN}' talk --device pulseaudio:mic --player paplay --session keys`;
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: home.root, env: home.environment(), stdio: ['pipe', 'pipe', 'pipe'] });
      const done = collect(child);
      await microphoneOpenedBy(child);
      await speakIntoMicrophone('Tell me a long story.', home.root);
      await speakerPlayedBy(child);
      child.stdin!.write(' ');
      await waitUntil(async () => (await home.messageRows()).length === 2, 'the stored answer');
      child.stdin!.write('\u0004');
      const result = await done;

      expect(result.code).toBe(0);
      expect(result.stdout).toContain('listening…'); // the status line, on the terminal
      expect(result.stdout).toMatch(/1 turn · session keys/);
      const answer = (await home.messageRows())[1]!;
      expect(answer.status).toBe('interrupted');
      expect(answer.content.length).toBeLessThan('Once upon a time there was a voice. It spoke for a very long while.'.length);
      expect(audioChildren()).toEqual([]);
    } finally {
      server.defaultSpeech = {};
    }
  });

  it('transcribes on a separate server when ASSISTANT_STT_BASE_URL is set, and keeps audio with --keep-audio', async () => {
    const whisper = await new FakeOpenAIServer().start();
    try {
      whisper.transcriptions.push({ text: 'local whisper heard this' });
      const keep = join(home.root, 'kept');
      const child = home.start(['talk', '--device', 'pulseaudio:mic', '--mute', '--keep-audio', keep], {
        keepStdinOpen: true,
        env: { ASSISTANT_STT_BASE_URL: whisper.url },
      });
      const done = collect(child);
      await microphoneOpenedBy(child);
      await speakIntoMicrophone('Testing one two three.', home.root);
      await waitForOutput(child, 'You said: local whisper heard this');
      child.kill('SIGINT');
      expect((await done).code).toBe(0);
      expect(whisper.transcriptionRequests).toHaveLength(1);
      expect(server.transcriptionRequests).toHaveLength(0);
      const { readdirSync } = await import('node:fs');
      expect(readdirSync(keep).filter((name) => name.endsWith('.wav'))).toHaveLength(1);
    } finally {
      await whisper.close();
    }
  });

  it('--barge-in: speaking during an answer interrupts it, and what was said becomes the next turn', async () => {
    server.defaultSpeech = { millisecondsPerCharacter: 60 };
    try {
      server.transcriptions.push({ text: 'Tell me a long story.' }, { text: 'Stop, that is enough.' });
      server.enqueue({ text: 'Once upon a time there was a voice. It spoke for a very long while. It never seemed to stop.' });
      const child = home.start(['talk', '--device', 'pulseaudio:mic', '--player', 'paplay', '--barge-in', '--session', 'barge'], { keepStdinOpen: true });
      const done = collect(child);
      await microphoneOpenedBy(child);
      await speakIntoMicrophone('Tell me a long story.', home.root);
      await speakerPlayedBy(child);
      await speakIntoMicrophone('Stop, that is enough.', home.root);
      await waitForOutput(child, 'You said: Stop, that is enough.');
      await waitUntil(async () => (await home.messageRows()).length === 4, 'both turns stored');
      child.kill('SIGINT');
      expect((await done).code).toBe(0);
      const rows = (await home.messageRows());
      expect(rows.map((row) => [row.role, row.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'interrupted'],
        ['user', 'complete'],
        ['assistant', 'complete'],
      ]);
      expect(rows[2]!.content).toBe('Stop, that is enough.');
    } finally {
      server.defaultSpeech = {};
    }
  });

  it('speech endpoint faults: ask --speak reports them (exit 1) with the answer kept; talk carries on', async () => {
    const env = { ASSISTANT_MAX_RETRIES: '2' };
    for (let attempt = 0; attempt < 3; attempt += 1) server.speechReplies.push({ status: 503, errorMessage: 'tts overloaded' });
    server.enqueue({ text: 'Spoken words.' });
    const asked = await home.run(['ask', '--speak', '--player', 'paplay', 'say it'], { env });
    expect(asked.code).toBe(1);
    expect(asked.stdout).toBe('Spoken words.\n');
    expect(asked.stderr).toMatch(/^Error: Speaking failed: 127\.0\.0\.1:\d+ failed with 503 after 2 retries: tts overloaded/);
    expect((await home.messageRows()).map((row) => [row.content, row.status])).toEqual([
      ['say it', 'complete'],
      ['Spoken words.', 'complete'],
    ]);

    server.speechReplies.push({ dropAfterBytes: 9600 });
    server.enqueue({ text: 'This audio is cut short.' }, { text: 'This one plays.' });
    const talked = await home.run(['talk', '--text', '--player', 'paplay'], { input: 'one\ntwo\n', env });
    expect(talked.code).toBe(0);
    expect(talked.stderr).toMatch(/Speaking failed: /);
    expect(talked.stdout).toContain('Assistant: This one plays.');
    expect(audioChildren()).toEqual([]);
  });

  it('SIGTERM while it speaks: the turn so far is stored and no SoX or player process is left', async () => {
    server.defaultSpeech = { millisecondsPerCharacter: 60 };
    try {
      server.transcriptions.push({ text: 'Talk for a while.' });
      server.enqueue({ text: 'This is a long answer that keeps going. It has a second sentence too.' });
      const child = home.start(['talk', '--device', 'pulseaudio:mic', '--player', 'paplay', '--session', 'term'], { keepStdinOpen: true });
      const done = collect(child);
      await microphoneOpenedBy(child);
      await speakIntoMicrophone('Talk for a while.', home.root);
      await speakerPlayedBy(child);
      child.kill('SIGTERM');
      const result = await done;
      expect(result.code).toBe(143);
      expect((await home.messageRows()).map((row) => [row.role, row.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'interrupted'],
      ]);
      expect(audioChildren()).toEqual([]);
    } finally {
      server.defaultSpeech = {};
    }
  });
});

/** One line on stderr per problem: no stack trace, no Node warning, no unhandled rejection. */
function expectNoCrashOutput(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toMatch(/MaxListenersExceededWarning|Warning:|Unhandled|Node\.js v/);
}

/** Spoken questions in one 16 kHz WAV, each after a pause, for --device wav:<file>. */
function questionsFile(directory: string, questions: string[]): string {
  const pause = Buffer.alloc(16_000 * 2 * 1.2);
  const parts: Buffer[] = [Buffer.alloc(16_000 * 2 * 0.6)];
  for (const [index, question] of questions.entries()) {
    const spoken = join(directory, `question-${index}.wav`);
    execFileSync('espeak-ng', ['-w', spoken, question]);
    parts.push(execFileSync('sox', [spoken, '-r', '16000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-t', 'raw', '-']), pause);
  }
  const file = join(directory, 'questions.wav');
  writeFileSync(file, encodeWav(Buffer.concat(parts)));
  return file;
}

describe.skipIf(!card.ok)('speech that fails mid-reply, long replies, a recording that ends', () => {
  const reply = 'The first sentence is fine. The second one cannot be spoken. The third is fine again. And so is the fourth.';

  it('ask --speak: speech fails on the second sentence while the reply streams: the answer is printed in full and stored complete, one error line, exit 1', async () => {
    server.speechByInput.set('The second one cannot be spoken.', { status: 400, errorMessage: 'no voice for this sentence' });
    server.enqueue({ text: reply, chunkDelayMs: 30 });
    const result = await home.run(['ask', '--speak', '--player', 'paplay', 'four things']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${reply}\n`);
    expect(result.stderr).toMatch(/^Error: Speaking failed: 127\.0\.0\.1:\d+ rejected the speech request \(400\): no voice for this sentence\.\n$/);
    expectNoCrashOutput(result.stderr);
    expect((await home.messageRows()).map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'four things', 'complete'],
      ['assistant', reply, 'complete'],
    ]);
    expect(server.speechRequests.map((request) => request.body.input)).toContain('The second one cannot be spoken.');
    expect(audioChildren()).toEqual([]);
  });

  it('talk: speech fails mid-reply: the turn is stored complete, the error is one line, the next turn is spoken, exit 0', async () => {
    server.speechByInput.set('The second one cannot be spoken.', { status: 400, errorMessage: 'no voice for this sentence' });
    server.enqueue({ text: reply, chunkDelayMs: 30 }, { text: 'This one is spoken. All of it.' });
    const result = await home.run(['talk', '--text', '--player', 'paplay', '--session', 'speech-fails'], { input: 'four things\nand then?\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`You: four things\nAssistant: ${reply}\nYou: and then?\nAssistant: This one is spoken. All of it.\n`);
    expect(result.stderr.match(/Error: Speaking failed: [^\n]*no voice for this sentence\.\n/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/2 turns · session speech-fails\n$/);
    expectNoCrashOutput(result.stderr);
    expect((await home.messageRows()).map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect((await home.messageRows())[1]!.content).toBe(reply);
    const spoken = server.speechRequests.map((request) => request.body.input);
    expect(spoken.slice(-2)).toEqual(['This one is spoken.', 'All of it.']);
    expect(audioChildren()).toEqual([]);
  });

  it('a 20-sentence spoken answer: no warning on stderr, every sentence spoken, exit 0', async () => {
    const long = Array.from({ length: 20 }, (_, index) => `This is sentence number ${index + 1}.`).join(' ');
    server.defaultSpeech = { millisecondsPerCharacter: 2 };
    server.enqueue({ text: long });
    const result = await home.run(['ask', '--speak', '--player', 'paplay', 'count to twenty']);
    expect(result).toMatchObject({ code: 0, stdout: `${long}\n`, stderr: '' });
    expect(server.speechRequests).toHaveLength(20);
    expect((await home.messageRows())[1]).toMatchObject({ content: long, status: 'complete' });
    expect(audioChildren()).toEqual([]);
  });

  it('talk --device wav:<file>: each question in the file is answered aloud, and the end of the file ends the session (exit 0)', async () => {
    const file = questionsFile(home.root, ['What time is it?', 'Where are we?']);
    server.transcriptions.push({ text: 'What time is it?' }, { text: 'Where are we?' });
    // Without the speculative start: a file is read faster than real time, so a start made at a
    // pause inside a question is discarded at once, and whether its upload reached the server
    // first is a race that would take the next scripted transcript (talk-speculate tests that).
    const result = await home.run(['talk', '--device', `wav:${file}`, '--player', 'paplay', '--session', 'file', '--no-speculate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: What time is it?\nAssistant: You said: What time is it?\nYou: Where are we?\nAssistant: You said: Where are we?\n');
    expect(result.stderr).toMatch(/2 turns · session file\n$/);
    expectNoCrashOutput(result.stderr);
    expect(server.transcriptionRequests).toHaveLength(2);
    expect(await home.rows('SELECT 1 FROM turns')).toHaveLength(2);
    expect(audioChildren()).toEqual([]);
  });
});

describe('a microphone that stops, and advice on going on without speech', () => {
  it('talk: a live microphone whose recording ends by itself is one error line, exit 1', async () => {
    const bin = join(home.root, 'bin');
    const { mkdirSync, chmodSync } = await import('node:fs');
    mkdirSync(bin);
    // A stand-in SoX: records a moment of silence, then ends as if the device went away.
    writeFileSync(join(bin, 'sox'), '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "sox: SoX v14.4.2"; exit 0; fi\nhead -c 64000 /dev/zero\nexit 0\n');
    chmodSync(join(bin, 'sox'), 0o755);
    const result = await home.run(['talk', '--mute'], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\nError: Recording stopped: the default input ended the recording by itself\. Check the input device \(--device\)\.\n$/);
    expectNoCrashOutput(result.stderr);
  });

  it('a missing player: ask says to leave out --speak, talk says --mute', async () => {
    const asked = await home.run(['ask', '--speak', '--player', 'no-such-player', 'hi']);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(/^Error: The audio player "no-such-player" is not installed\. .* Or leave out --speak\.\n$/);
    expect(asked.stderr).not.toContain('--mute');
    const talked = await home.run(['talk', '--text', '--player', 'no-such-player'], { input: 'hi\n' });
    expect(talked.code).toBe(1);
    expect(talked.stderr).toMatch(/Or use --mute\.\n$/);
  });

  it.skipIf(!card.ok)('a player that fails while speaking: ask advises leaving out --speak', async () => {
    server.enqueue({ text: 'Nobody hears this.' });
    const asked = await home.run(['ask', '--speak', '--player', 'paplay', 'hi'], { env: { PULSE_SERVER: 'unix:/nonexistent/socket' } });
    expect(asked.code).toBe(1);
    expect(asked.stdout).toBe('Nobody hears this.\n');
    expect(asked.stderr).toMatch(/^Error: Speaking failed: The audio player \S*paplay exited with code 1.*Choose another with --player, or leave out --speak\.\n$/);
  });
});
