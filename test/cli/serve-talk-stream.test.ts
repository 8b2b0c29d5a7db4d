/**
 * POST /v1/talk as server-sent events from a running `assistant serve` (SQLite, and PostgreSQL
 * in the postgres project), the local OpenAI-compatible server upstream for transcription,
 * chat and speech: the events in order, each sentence's audio out while the model is still
 * writing, a client that goes away, and audio with no words refused before the stream starts.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWavHeader } from '../../src/audio/wav.js';
import type { TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { toneWav } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { createToken, serverSentEvents, startServe, type RunningServe, type ServerSentEvent } from '../support/serve-process.js';
import { waitUntil } from '../support/wait-for.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

let serve: RunningServe | undefined;
afterEach(async () => {
  serve?.child.kill('SIGTERM');
  await serve?.done;
  serve = undefined;
});

/** What the person said: any WAV (the test server transcribes it as scripted). */
const SPOKEN = toneWav(300);

const talk = (base: string, token: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav', accept: 'text/event-stream', ...headers }, body: SPOKEN });

describe('POST /v1/talk with Accept: text/event-stream', () => {
  it('sends session, transcript, the text, each sentence as audio while the model still writes, then done; stored as a turn', async () => {
    const token = await createToken(home, 'kim');
    server.transcriptions.push({ text: 'what is the weather' });
    let release!: () => void;
    const firstAudioSeen = new Promise<void>((resolve) => (release = resolve));
    // The model's answer stops after "It is sunny. " until the test has seen the first sentence's audio.
    server.enqueue({ text: 'It is sunny. Take a hat.', holdAfterChunks: { chunks: 3, until: firstAudioSeen } });
    serve = await startServe(home);

    const response = await talk(serve.base, token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events: ServerSentEvent[] = [];
    for await (const event of serverSentEvents(response.body!)) {
      events.push(event);
      if (event.event === 'audio' && event.data.index === 0) {
        // The upstream is holding the rest of the answer: this audio went out before it ended.
        expect(server.chatRequests).toHaveLength(1);
        expect(events.filter(({ event: name }) => name === 'text').map(({ data }) => data.text).join('')).toBe('It is sunny. ');
        expect(events.some(({ event: name }) => name === 'done')).toBe(false);
        release();
      }
    }

    expect(events.map(({ event, data }) => (event === 'audio' ? `audio ${data.index}` : event))).toEqual([
      'session', 'transcript', 'text', 'text', 'text', 'audio 0', 'text', 'text', 'text', 'audio 1', 'done',
    ]);
    const session = events[0]!.data.session as string;
    expect(events[1]!.data).toEqual({ transcript: 'what is the weather' });
    const audio = events.filter(({ event }) => event === 'audio').map(({ data }) => data);
    expect(audio.map(({ index, text, format }) => [index, text, format])).toEqual([[0, 'It is sunny.', 'wav'], [1, 'Take a hat.', 'wav']]);
    // Each event holds its sentence alone, as the speech server made it.
    for (const { text, base64 } of audio) {
      const wav = Buffer.from(base64 as string, 'base64');
      const header = parseWavHeader(wav)!;
      expect(header.format.sampleRate).toBe(24_000);
      expect(wav.subarray(header.dataOffset)).toEqual(toneWav((text as string).length * 12).subarray(44));
    }
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(['It is sunny.', 'Take a hat.']);
    const done = events.at(-1)!.data;
    expect(done).toMatchObject({ session, transcript: 'what is the weather', answer: 'It is sunny. Take a hat.', status: 'complete', cached: false, usage: { prompt_tokens: expect.any(Number), completion_tokens: 6 } });
    expect(Object.keys(done.timings)).toEqual(['transcript', 'firstToken', 'firstSentence', 'firstAudio', 'done']);

    expect((await home.messageRows()).map((row) => [row.session_id, row.role, row.status, row.content])).toEqual([
      [session, 'user', 'complete', 'what is the weather'],
      [session, 'assistant', 'complete', 'It is sunny. Take a hat.'],
    ]);
    expect(await home.rows('SELECT input, status FROM turns')).toEqual([{ input: 'audio-file', status: 'complete' }]);
  });

  it('a client that goes away mid-answer stops the turn: what arrived is stored, marked interrupted; serve keeps serving', async () => {
    const token = await createToken(home, 'kim');
    server.transcriptions.push({ text: 'tell me a long story' });
    // The model writes one sentence and then nothing more until the server hangs up on it.
    server.enqueue({ text: 'Once upon a time. And then the rest.', stallAfterChunks: 4 });
    serve = await startServe(home);

    // A raw request, so that going away closes the connection at once (fetch keeps it alive).
    const request = httpRequest(`${serve.base}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav', accept: 'text/event-stream' } });
    request.on('error', () => {});
    const response = new Promise<import('node:http').IncomingMessage>((resolve) => request.on('response', resolve));
    request.end(SPOKEN);
    const seen: string[] = [];
    for await (const event of serverSentEvents((await response).setEncoding('utf8'))) {
      seen.push(event.event);
      if (event.event === 'audio') break;
    }
    request.destroy();
    expect(seen).toEqual(['session', 'transcript', 'text', 'text', 'text', 'text', 'audio']);

    await waitUntil(async () => (await home.messageRows()).some((row) => row.role === 'assistant'), 'the interrupted answer to be stored');
    expect((await home.messageRows()).map((row) => [row.role, row.status, row.content])).toEqual([
      ['user', 'complete', 'tell me a long story'],
      ['assistant', 'interrupted', 'Once upon a time. '],
    ]);
    expect(server.chatRequests).toHaveLength(1);
    // Still serving, and nothing went wrong in the process.
    const next = await talk(serve.base, token, { accept: 'application/json' });
    expect(next.status).toBe(200);
    serve.child.kill('SIGTERM');
    const result = await serve.done;
    serve = undefined;
    expect(result.code).toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Serving on http:/)]);
  });

  it('audio with no words is the same 422 as without streaming, before any event, and nothing is stored', async () => {
    const token = await createToken(home, 'kim');
    server.transcriptions.push({ text: '' }, { text: '' });
    serve = await startServe(home);
    for (const accept of ['text/event-stream', 'application/json']) {
      const response = await talk(serve.base, token, { accept });
      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toEqual({ error: { message: 'No words were recognised in the audio; nothing was asked.', type: 'invalid_request', field: 'file' } });
    }
    expect(server.chatRequests).toHaveLength(0);
    expect(await home.messageRows()).toEqual([]);
  });
});

describe('assistant serve stopping with a /v1/talk stream in flight', () => {
  it('SIGTERM lets the streamed answer finish (every sentence, then done), stores it whole, then exits 0', async () => {
    const token = await createToken(home, 'kim');
    server.transcriptions.push({ text: 'what is the weather' });
    let release!: () => void;
    const stopping = new Promise<void>((resolve) => (release = resolve));
    // The answer waits after its first sentence until serve has begun to stop.
    server.enqueue({ text: 'It is sunny. Take a hat.', holdAfterChunks: { chunks: 3, until: stopping } });
    const running = await startServe(home);
    const response = await talk(running.base, token);
    const names: string[] = [];
    for await (const { event, data } of serverSentEvents(response.body!)) {
      names.push(event === 'audio' ? `audio ${data.index}` : event);
      if (event === 'audio' && data.index === 0) {
        running.child.kill('SIGTERM');
        await waitUntil(() => running.lines().some((line) => line.event === 'stopping'), 'serve to begin stopping');
        release();
      }
    }
    expect(names).toEqual(['session', 'transcript', 'text', 'text', 'text', 'audio 0', 'text', 'text', 'text', 'audio 1', 'done']);
    const result = await running.done;
    expect(result.code).toBe(0);
    expect(running.lines().map((line) => line.event ?? `${String(line.method)} ${String(line.path)} ${String(line.status)}`)).toEqual(['listening', 'POST /v1/talk 200', 'stopping', 'stopped']);
    expect((await home.messageRows()).map((row) => [row.role, row.status, row.content])).toEqual([
      ['user', 'complete', 'what is the weather'],
      ['assistant', 'complete', 'It is sunny. Take a hat.'],
    ]);
  });
});
