/**
 * Local speech engines in the whole CLI, without a sound card: espeak-ng and the person's own
 * commands speak (into a file player of the test's own), a speech-to-text command of the
 * test's own hears a recording and its transcript drives a turn against the local chat
 * server, a speech server without /audio/speech gets advice or the espeak-ng fallback, and a
 * project .env cannot choose a program.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav, parseWavHeader } from '../../src/audio/wav.js';
import { silence, speechLike } from '../support/audio-fixtures.js';
import { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome } from '../support/cli.js';
import { isRunning } from '../support/processes.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

function installed(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const espeakInstalled = installed('espeak-ng');
const pocketsphinxInstalled = installed('pocketsphinx_continuous') && espeakInstalled;
if (!pocketsphinxInstalled) {
  // CI installs it (.ci/run), so the offline recognizer's test can never be skipped there unnoticed.
  if (process.env.ASSISTANT_REQUIRE_AUDIO) throw new Error('pocketsphinx_continuous is not installed: apt install pocketsphinx pocketsphinx-en-us');
  console.warn('\n[talk-local-speech] SKIPPED the pocketsphinx test: apt install pocketsphinx pocketsphinx-en-us espeak-ng\n');
}

function script(name: string, body: string): string {
  const path = join(home.root, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

/** A file player (played through play-sound) that keeps each clip it is given, in order. */
function keepingPlayer(): { player: string; clips(): Buffer[] } {
  const directory = join(home.root, 'played');
  mkdirSync(directory);
  const player = script('keep-player', `n=$(ls "${directory}" | wc -l); cp "$1" "${directory}/clip-$(printf %03d "$n").wav"`);
  return { player, clips: () => readdirSync(directory).sort().map((file) => readFileSync(join(directory, file))) };
}

/** Audio that is not all zeros: something was said. */
function audible(wav: Buffer): boolean {
  const header = parseWavHeader(wav)!;
  const pcm = wav.subarray(header.dataOffset);
  for (let offset = 0; offset + 1 < pcm.length; offset += 2) if (Math.abs(pcm.readInt16LE(offset)) > 1000) return true;
  return false;
}

describe('--tts espeak and --tts-command', () => {
  it.skipIf(!espeakInstalled)('talk --tts espeak: every sentence is synthesized by espeak-ng and played, no speech request reaches the server', async () => {
    server.enqueue({ text: 'It is sunny. Take a hat!' });
    const { player, clips } = keepingPlayer();
    const result = await home.run(['talk', '--text', '--tts', 'espeak', '--player', player, '--session', 'local'], { input: 'weather?\n' });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: weather?\nAssistant: It is sunny. Take a hat!\n');
    expect(server.speechRequests).toHaveLength(0);
    // One clip per sentence, in espeak-ng's own format (22050 Hz mono), with sound in it.
    const played = clips();
    expect(played).toHaveLength(2);
    for (const clip of played) {
      expect(parseWavHeader(clip)!.format).toEqual({ sampleRate: 22_050, channels: 1, bitsPerSample: 16 });
      expect(audible(clip)).toBe(true);
    }
  });

  it('the model\'s text reaches {text} verbatim as one argument: quotes, $(...), ; && and > run nothing', async () => {
    const hostile = `He said "hi" $(touch PWNED) and 'bye'; rm -rf x && echo \\$HOME > PWNED2 \\n done.`;
    server.enqueue({ text: hostile });
    const wav = join(home.root, 'speech.wav');
    writeFileSync(wav, encodeWav(silence(200)));
    // The script records each of its arguments (one file per call, NUL-terminated), then writes the WAV to {out}.
    const tts = script('record-args', `printf '%s\\0' "$@" > "${join(home.root, 'args')}-$$"; cp "${wav}" "$4"`);
    const { player, clips } = keepingPlayer();
    const result = await home.run(['ask', '--speak', '--player', player, '--tts-command', `${tts} --text {text} --out {out}`, 'say it'], { cwd: home.root });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const calls = readdirSync(home.root)
      .filter((file) => file.startsWith('args-'))
      .map((file) => readFileSync(join(home.root, file), 'utf8').split('\0').slice(0, -1));
    // However the reply is cut into clips (sentences, clauses), each piece is one argument, verbatim.
    for (const args of calls) {
      expect(args).toHaveLength(4);
      expect([args[0], args[2]]).toEqual(['--text', '--out']);
    }
    const pieces = calls.map((args) => args[1]!).sort((a, b) => hostile.indexOf(a) - hostile.indexOf(b));
    expect(pieces.join(' ')).toBe(hostile);
    expect(existsSync(join(home.root, 'PWNED'))).toBe(false);
    expect(existsSync(join(home.root, 'PWNED2'))).toBe(false);
    expect(clips()).toHaveLength(calls.length);
  });

  it('text on stdin when the command has no {text}; a repeated sentence comes from the cache, keyed by the command', async () => {
    const log = join(home.root, 'calls');
    const wav = join(home.root, 'speech.wav');
    writeFileSync(wav, encodeWav(silence(200)));
    const tts = script('stdin-tts', `cat >> "${log}"; echo >> "${log}"; cat "${wav}"`);
    const { player, clips } = keepingPlayer();
    const ask = (command: string): Promise<{ code: number | null; stderr: string }> => {
      server.enqueue({ text: 'Same words again.' });
      return home.run(['ask', '--speak', '--player', player, '--tts-command', command, 'repeat']);
    };
    expect(await ask(tts)).toMatchObject({ code: 0, stderr: '' });
    expect(await ask(tts)).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(log, 'utf8')).toBe('Same words again.\n');
    // Another command is another engine: its speech is not the first one's.
    expect(await ask(`${tts} --other`)).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(log, 'utf8')).toBe('Same words again.\nSame words again.\n');
    expect(clips()).toHaveLength(3);
  });

  it("--tts say runs macOS say with a WAV file to write, the text on stdin, the rate from the speed and the voice only when chosen", async () => {
    const bin = join(home.root, 'bin');
    mkdirSync(bin);
    const wav = join(home.root, 'speech.wav');
    writeFileSync(wav, encodeWav(silence(200)));
    // A stand-in for macOS's say: records its arguments and stdin, writes the WAV where -o says.
    writeFileSync(
      join(bin, 'say'),
      `#!/bin/sh\nprintf '%s\\n' "$@" >> "${join(home.root, 'say-args')}"\ncat >> "${join(home.root, 'say-text')}"\ncp "${wav}" "$2"\n`,
      { mode: 0o755 },
    );
    const { player, clips } = keepingPlayer();
    const env = { PATH: `${bin}:${process.env.PATH}` };
    server.enqueue({ text: 'Hello from a Mac.' }, { text: 'Faster.' });
    expect(await home.run(['ask', '--speak', '--tts', 'say', '--player', player, 'hi'], { env })).toMatchObject({ code: 0, stderr: '' });
    expect(await home.run(['ask', '--speak', '--tts', 'say', '--voice', 'Samantha', '--player', player, 'hi'], { env: { ...env, ASSISTANT_SPEED: '1.5' } })).toMatchObject({ code: 0, stderr: '' });
    const calls = readFileSync(join(home.root, 'say-args'), 'utf8').split('-o\n').slice(1).map((call) => call.trim().split('\n'));
    expect(calls.map((call) => call.slice(1))).toEqual([
      ['--file-format=WAVE', '--data-format=LEI16@22050', '-f', '-', '-r', '175'],
      ['--file-format=WAVE', '--data-format=LEI16@22050', '-f', '-', '-r', '263', '-v', 'Samantha'],
    ]);
    expect(readFileSync(join(home.root, 'say-text'), 'utf8')).toBe('Hello from a Mac.Faster.');
    expect(clips()).toHaveLength(2);
    expect(server.speechRequests).toHaveLength(0);
  });

  it('a command that fails, prints nothing or is not installed: one line that says so', async () => {
    const { player } = keepingPlayer();
    const failing = script('failing-tts', 'echo "loading voice" >&2; echo "voice file en.onnx not found" >&2; exit 3');
    server.enqueue({ text: 'One.' }, { text: 'Two.' });
    const failed = await home.run(['ask', '--speak', '--player', player, '--tts-command', failing, 'go']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('Error: Speaking failed: --tts-command exited with code 3: voice file en.onnx not found.\n');
    const silent = await home.run(['ask', '--speak', '--player', player, '--tts-command', 'true', 'go']);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toBe('Error: Speaking failed: --tts-command produced no audio (empty output). It must write a WAV to stdout, or to {out}.\n');
    const missing = await home.run(['ask', '--speak', '--player', player, '--tts-command', 'no-such-tts-program {out}', 'go']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error: no-such-tts-program is not installed (not found on PATH). Check --tts-command (ASSISTANT_TTS_COMMAND).\n');
    const none = await home.run(['ask', '--speak', '--player', player, '--tts', 'command', 'go']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Error: --tts command needs --tts-command/);
    expect(server.chatRequests).toHaveLength(2);
  });

  it('a command that hangs is stopped, with what it started, after 4 × TIMEOUT, and says so in one line', async () => {
    const { player } = keepingPlayer();
    // Like an engine stuck on a device or a lock: it never finishes, and a child of its own sleeps on.
    const hanging = (name: string): { command: string; pids: () => number[] } => {
      const pids = join(home.root, `${name}.pids`);
      return {
        command: script(name, `sleep 60 & echo $! >> "${pids}"; wait`),
        pids: () => readFileSync(pids, 'utf8').trim().split('\n').map(Number),
      };
    };
    const env = { TIMEOUT: '0.5' };
    const tts = hanging('hanging-tts');
    server.enqueue({ text: 'The answer.' });
    const spoken = await home.run(['ask', '--speak', '--player', player, '--tts-command', tts.command, 'go'], { env });
    expect(spoken.code).toBe(1);
    expect(spoken.stdout).toBe('The answer.\n');
    expect(spoken.stderr).toBe('Error: Speaking failed: --tts-command ran for 2 s without finishing, so it was stopped (a local speech program gets 4 × TIMEOUT). Check the command, or raise TIMEOUT (seconds) for a slow engine.\n');
    await waitUntil(() => tts.pids().filter(isRunning).length === 0, 'the stopped command and its sleep to be gone');

    const stt = hanging('hanging-stt');
    const recording = join(home.root, 'words.wav');
    // Under half a second: 4 × its length is less than 4 × TIMEOUT, which is what it gets.
    writeFileSync(recording, encodeWav(speechLike(450)));
    const heard = await home.run(['transcribe', '--stt-command', `${stt.command} {file}`, recording], { env });
    expect(heard.code).toBe(1);
    expect(heard.stdout).toBe('');
    expect(heard.stderr).toMatch(/^Error: .*--stt-command ran for 2 s without finishing, so it was stopped \(a local speech program gets 4 × TIMEOUT\)\. Check the command, or raise TIMEOUT \(seconds\) for a slow engine\.\n$/);
    await waitUntil(() => stt.pids().filter(isRunning).length === 0, 'the stopped command and its sleep to be gone');
    expect(server.transcriptionRequests).toHaveLength(0);
  });

  it('a command that floods its output (stdout or {out}) is stopped at 32 MB with one line, not left to fill the memory', async () => {
    const flooding = await home.run(['say', '--out', join(home.root, 'a.wav'), '--tts-command', 'yes', 'Hello there.']);
    expect(flooding).toMatchObject({ code: 1, stderr: 'Error: --tts-command wrote more than 32 MB on stdout, so it was stopped: it should write one WAV or one transcript. Check the command.\n' });
    const huge = script('huge-tts', 'head -c 40000000 /dev/zero > "$1"');
    const toFile = await home.run(['say', '--out', join(home.root, 'b.wav'), '--tts-command', `${huge} {out}`, 'Hello there.']);
    expect(toFile).toMatchObject({ code: 1, stderr: 'Error: --tts-command wrote 38 MB to {out}, more than the 32 MB one sentence\'s WAV may take. Check the command.\n' });
    const recording = join(home.root, 'words.wav');
    writeFileSync(recording, encodeWav(speechLike(1000)));
    const heard = await home.run(['transcribe', '--stt-command', 'yes {file}', recording]);
    expect(heard).toMatchObject({ code: 1, stdout: '', stderr: 'Error: --stt-command wrote more than 32 MB on stdout, so it was stopped: it should write one WAV or one transcript. Check the command.\n' });
    expect(server.requests).toEqual([]);
  });

  it('a long recording gets 4 × its length to be transcribed, when that is more than 4 × TIMEOUT', async () => {
    // 1 s allowed for an utterance (TIMEOUT 0.25); this 10 s recording gets 40 s, and its program takes 1.5.
    const slow = script('slow-stt', 'sleep 1.5; echo "a long recording"');
    const recording = join(home.root, 'long.wav');
    writeFileSync(recording, encodeWav(speechLike(10_000)));
    const heard = await home.run(['transcribe', '--stt-command', `${slow} {file}`, recording], { env: { TIMEOUT: '0.25' } });
    expect(heard).toMatchObject({ code: 0, stdout: 'a long recording\n', stderr: '' });
  });
});

/** A recording of `question` said by espeak-ng after a moment of silence, for --device wav:<file>. */
function spokenQuestion(question: string): string {
  const spoken = join(home.root, 'spoken.wav');
  execFileSync('espeak-ng', ['-w', spoken, question]);
  const pcm = execFileSync('sox', [spoken, '-r', '16000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-t', 'raw', '-']);
  const recording = join(home.root, 'question.wav');
  writeFileSync(recording, encodeWav(Buffer.concat([silence(600), pcm, silence(1200)])));
  return recording;
}

describe('--stt-command', () => {
  it.skipIf(!pocketsphinxInstalled)('pocketsphinx (offline, Debian) hears the question; its transcript drives a turn against the chat server', async () => {
    const recording = spokenQuestion('What time is it?');
    // A grammar of the questions it may hear: pocketsphinx's open vocabulary is poor on espeak-ng's voice.
    const grammar = join(home.root, 'questions.gram');
    writeFileSync(grammar, '#JSGF V1.0;\ngrammar questions;\npublic <question> = what time is it | where are we | what is the weather like today;\n');
    const command = `pocketsphinx_continuous -infile {file} -jsgf '${grammar}' -logfn /dev/null`;
    const result = await home.run(['talk', '--device', `wav:${recording}`, '--mute', '--stt-command', command, '--session', 'sphinx']);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: what time is it\nAssistant: You said: what time is it\n');
    expect(server.transcriptionRequests).toHaveLength(0);
    expect(server.chatRequests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'what time is it' });
  });

  it.skipIf(!espeakInstalled)("a program of the test's own hears the recording in {file}; its transcript drives a turn against the chat server", async () => {
    const recording = spokenQuestion('What time is it?');
    const heard = join(home.root, 'heard.wav');
    // Like whisper-cli: a segment per line and a marker for blank audio.
    const stt = script('stt', `cp "$1" "${heard}"; printf '  What time\\n is it?\\n[BLANK_AUDIO]\\n'`);
    const result = await home.run(['talk', '--device', `wav:${recording}`, '--mute', '--stt-command', `${stt} {file}`, '--session', 'heard']);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: What time is it?\nAssistant: You said: What time is it?\n');
    expect(server.transcriptionRequests).toHaveLength(0);
    expect(server.chatRequests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'What time is it?' });
    // The program was given the utterance as a 16 kHz WAV: about the words, not the whole file.
    const utterance = readFileSync(heard);
    expect(parseWavHeader(utterance)!.format.sampleRate).toBe(16_000);
    expect((await home.messageRows()).map((row) => [row.role, row.content])).toEqual([
      ['user', 'What time is it?'],
      ['assistant', 'You said: What time is it?'],
    ]);
  });
});

describe('a speech server without /audio/speech (Ollama answers 404)', () => {
  it('a configured speech server that answers 404: the error suggests --tts espeak', async () => {
    server.defaultSpeech = { status: 404, errorMessage: '404 page not found' };
    server.enqueue({ text: 'Hello there.' });
    const { player } = keepingPlayer();
    const result = await home.run(['talk', '--text', '--player', player, '--session', 'nf'], { input: 'hi\n', env: { ASSISTANT_TTS_BASE_URL: server.url } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: hi\nAssistant: Hello there.\n');
    expect(result.stderr).toMatch(/Error: Speaking failed: .*404.* If this server has no text-to-speech \(Ollama has none\), speak with a local engine: --tts espeak \(Debian\/Ubuntu: sudo apt install espeak-ng; macOS: brew install espeak-ng\)\.\n/);
  });

  it.skipIf(!espeakInstalled)('nothing about speech configured and the chat server answers 404: talk speaks with espeak-ng, saying so once', async () => {
    server.defaultSpeech = { status: 404, errorMessage: '404 page not found' };
    server.enqueue({ text: 'First answer. In two sentences.' }, { text: 'Second answer.' });
    const { player, clips } = keepingPlayer();
    const result = await home.run(['talk', '--text', '--player', player, '--session', 'fallback'], { input: 'one\ntwo\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('You: one\nAssistant: First answer. In two sentences.\nYou: two\nAssistant: Second answer.\n');
    const notes = result.stderr.match(/Note: .* has no text-to-speech \(it answered 404, as Ollama does\); speaking with espeak-ng instead\. --tts chooses the engine, --mute turns speech off\.\n/g);
    expect(notes).toHaveLength(1);
    expect(result.stderr).not.toMatch(/Error/);
    // The first sentences asked the server (the two in flight at most); everything after went to espeak-ng.
    expect(server.speechRequests.length).toBeGreaterThanOrEqual(1);
    expect(server.speechRequests.length).toBeLessThanOrEqual(2);
    const played = clips();
    expect(played).toHaveLength(3);
    expect(played.every((clip) => parseWavHeader(clip)!.format.sampleRate === 22_050 && audible(clip))).toBe(true);

    // espeak-ng's speech was cached as espeak-ng's, not as the server's: once the server speaks, it is asked for every sentence.
    server.reset();
    server.enqueue({ text: 'First answer. In two sentences.' });
    const again = await home.run(['talk', '--text', '--player', player, '--session', 'fallback'], { input: 'one\n' });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/Note|Error/);
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(['First answer.', 'In two sentences.']);
  });
});

describe('the espeak-ng fallback in a spoken turn (with its speculative start)', () => {
  it.skipIf(!espeakInstalled)("espeak-ng's clips are cached as espeak-ng's, so a server that speaks later is asked for every clip", async () => {
    const recording = spokenQuestion('What time is it?');
    const stt = script('stt', 'echo "What time is it?"');
    const { player, clips } = keepingPlayer();
    server.defaultSpeech = { status: 404, errorMessage: '404 page not found' };
    server.defaultReply = { text: 'It is noon. Time for lunch.' };
    const first = await home.run(['talk', '--device', `wav:${recording}`, '--player', player, '--stt-command', `${stt} {file}`, '--session', 'spoken']);
    expect(first.code).toBe(0);
    expect(first.stderr.match(/speaking with espeak-ng instead/g)).toHaveLength(1);
    expect(clips().length).toBeGreaterThanOrEqual(2);

    server.reset();
    server.defaultReply = { text: 'It is noon. Time for lunch.' };
    const second = await home.run(['talk', '--device', `wav:${recording}`, '--player', player, '--stt-command', `${stt} {file}`, '--session', 'spoken2']);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/Note|Error/);
    // The first clip was asked for by the speculative start, which may still be on its way when the
    // committed turn asks for the second: the server can see them in either order.
    expect(server.speechRequests.map((request) => request.body.input).sort()).toEqual(['It is noon.', 'Time for lunch.']);
  });
});

describe('settings', () => {
  it('a project .env cannot choose a speech program or command; assistant config shows the engines and where they came from', async () => {
    const project = join(home.root, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, '.env'),
      'ASSISTANT_TTS=command\nASSISTANT_TTS_COMMAND=touch /tmp/owned-by-dotenv {out}\nASSISTANT_STT=command\nASSISTANT_STT_COMMAND=touch /tmp/owned {file}\n',
    );
    const result = await home.run(['config', '--json'], { cwd: project });
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout);
    expect(shown.settings.tts).toEqual({ value: 'openai', source: 'default', variable: 'ASSISTANT_TTS' });
    expect(shown.settings.stt).toEqual({ value: 'openai', source: 'default', variable: 'ASSISTANT_STT' });
    expect(shown.settings.ttsCommand).toEqual({ source: 'default', variable: 'ASSISTANT_TTS_COMMAND' });
    expect(shown.settings.sttCommand).toEqual({ source: 'default', variable: 'ASSISTANT_STT_COMMAND' });
    expect(shown.dotenv.refused.map((refusal: { variable: string }) => refusal.variable).sort()).toEqual(['ASSISTANT_STT', 'ASSISTANT_STT_COMMAND', 'ASSISTANT_TTS', 'ASSISTANT_TTS_COMMAND']);
    expect(new Set(shown.dotenv.refused.map((refusal: { reason: string }) => refusal.reason))).toEqual(new Set(['commands and devices are never taken from a project .env']));

    const fromFlags = await home.run(['config', '--json', '--tts', 'espeak']);
    expect(fromFlags.code).toBe(2);
    const fromEnvironment = JSON.parse((await home.run(['config', '--json'], { env: { ASSISTANT_TTS: 'espeak', ASSISTANT_STT_COMMAND: 'whisper-cli -f {file}' } })).stdout);
    expect(fromEnvironment.settings.tts).toEqual({ value: 'espeak', source: 'environment', variable: 'ASSISTANT_TTS' });
    expect(fromEnvironment.settings.sttCommand).toEqual({ value: 'whisper-cli -f {file}', source: 'environment', variable: 'ASSISTANT_STT_COMMAND' });
  });

  it('a bad engine name is a usage error naming the choices', async () => {
    const result = await home.run(['ask', '--tts', 'festival', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: --tts must be one of openai, espeak, say, command (got "festival").\n');
  });
});
