/** POST /v1/talk over real HTTP: audio in (raw or a form), the transcript, the answer and its speech out; the turn stored like talk's. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { encodeWav } from '../../src/audio/wav.js';
import { createApp } from '../../src/server/app.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store, TokenRecord } from '../../src/store/store.js';
import { hashTokenSecret } from '../../src/tokens/token-secret.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { FakeSynthesizer, FAKE_SPEECH_FORMAT } from '../support/fake-synthesizer.js';
import { FakeTranscriber } from '../support/fake-transcriber.js';
import { serverSentEvents } from '../support/serve-process.js';
import { AssistantError } from '../../src/errors.js';
import { TEST_SETTINGS, baseOf, listenOnLoopback } from '../support/app-server.js';

/** What fetch takes as a body. */
type UploadBody = NonNullable<NonNullable<Parameters<typeof fetch>[1]>['body']>;

const TOKEN = `ast_${'k'.repeat(32)}`;
const record: TokenRecord = { id: 'k', name: 'kim', createdAt: new Date(0), lastUsedAt: undefined, revokedAt: undefined, requestsPerMinute: undefined, tokensPerDay: undefined };
const memo = encodeWav(Buffer.alloc(3200));

let directory: string;
let store: Store;
let server: ServerType;
let base: string;
let transcriber: FakeTranscriber;
let synthesizer: FakeSynthesizer;

async function start(chatModel = new FakeChatModel({ pieces: ['It is sunny. ', 'Take a hat.'] }), { speech = true } = {}): Promise<void> {
  const app = createApp(
    {
      store, chatModel, cache: new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined }),
      tokens: { tokenByHash: async (hash) => (hash === hashTokenSecret(TOKEN) ? record : undefined) },
      usage: store,
      speech: speech ? { transcriber, synthesizer } : undefined, ready: async () => {},
    },
    {
      ...TEST_SETTINGS,
      speech: { sttModel: 'stt', language: undefined, voice: { model: 'tts', voice: 'alloy', speed: 1 } },
    },
  );
  server = await listenOnLoopback(app);
  base = baseOf(server);
}

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-talk-route-'));
  store = await openStore({ kind: 'sqlite', path: join(directory, 'store.db') });
  transcriber = new FakeTranscriber(['what is the weather']);
  synthesizer = new FakeSynthesizer();
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

const talk = (body: UploadBody, headers: Record<string, string>, query = ''): Promise<Response> =>
  fetch(`${base}/v1/talk${query}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, ...headers }, body });

describe('POST /v1/talk', () => {
  it('a WAV body: the transcript, the answer, and the spoken answer as one WAV; stored as a turn', async () => {
    await start();
    const response = await talk(memo, { 'content-type': 'audio/wav' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { session: string; transcript: string; answer: string; audio: { format: string; base64: string } };
    expect(body).toMatchObject({ transcript: 'what is the weather', answer: 'It is sunny. Take a hat.' });
    const wav = Buffer.from(body.audio.base64, 'base64');
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(FAKE_SPEECH_FORMAT.sampleRate);
    expect(wav.subarray(44).toString()).toBe(synthesizer.pcmFor('It is sunny.').toString() + synthesizer.pcmFor('Take a hat.').toString());
    expect(transcriber.requests[0]!.filename).toBe('speech.wav');
    expect((await store.messages(body.session)).map((message) => message.content)).toEqual(['what is the weather', 'It is sunny. Take a hat.']);
    expect((await store.turns(body.session))[0]).toMatchObject({ input: 'audio-file', status: 'complete' });
  });

  it('a form with a file field, answered with Accept: audio/wav as the WAV itself', async () => {
    await start();
    const form = new FormData();
    form.set('file', new Blob([memo], { type: 'audio/wav' }), 'memo.wav');
    const response = await talk(form, { accept: 'audio/wav' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(decodeURIComponent(response.headers.get('x-transcript')!)).toBe('what is the weather');
    expect(Buffer.from(await response.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
    expect(transcriber.requests[0]!.filename).toBe('memo.wav');
  });

  it('continues only a session of the same token', async () => {
    await start();
    expect((await talk(memo, { 'content-type': 'audio/wav' }, '?session=nobodys')).status).toBe(404);
    expect(transcriber.requests).toHaveLength(0);
  });

  it.each([
    ['no audio type', { 'content-type': 'text/plain' }, 'hello', 415, 'Send the audio as'],
    ['an empty body', { 'content-type': 'audio/wav' }, '', 400, 'The audio is empty.'],
    ['a form without a file', { }, (() => { const form = new FormData(); form.set('note', 'x'); return form; })(), 400, 'no "file" field'],
  ])('refuses %s', async (_name, headers, body, status, message) => {
    await start();
    const response = await talk(body as UploadBody, headers as Record<string, string>);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
    expect(transcriber.requests).toHaveLength(0);
  });

  it('audio with no words is a 422 and nothing is stored', async () => {
    transcriber = new FakeTranscriber(['']);
    await start();
    const response = await talk(memo, { 'content-type': 'audio/wav' });
    expect(response.status).toBe(422);
    expect(await store.listSessions({ limit: 5 })).toEqual([]);
  });

  it('a speech failure still answers, with the error beside the text and no audio', async () => {
    synthesizer = new FakeSynthesizer().fail('Take a hat.');
    await start();
    const body = (await (await talk(memo, { 'content-type': 'audio/wav' })).json()) as { answer: string; audio: unknown; speechError: string };
    expect(body).toMatchObject({ answer: 'It is sunny. Take a hat.', audio: null });
    expect(body.speechError).toMatch(/no voice for "Take a hat\."/);
  });
});

describe('POST /v1/talk with Accept: text/event-stream', () => {
  const events = async (response: Response): Promise<Array<[string, any]>> => {
    const all: Array<[string, any]> = [];
    for await (const { event, data } of serverSentEvents(response.body!)) all.push([event, data]);
    return all;
  };

  it('without speech configured is the same 503 as without streaming', async () => {
    await start(undefined, { speech: false });
    for (const accept of ['text/event-stream', 'application/json']) {
      const response = await talk(memo, { 'content-type': 'audio/wav', accept });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: { message: 'This server has no speech configured.', type: 'unavailable' } });
    }
  });

  it('a model failure mid-answer ends the stream with an error event in /v1/ask\'s shape; the question is kept', async () => {
    await start(new FakeChatModel({ pieces: ['It is'], failure: new AssistantError('The model broke.') }));
    const all = await events(await talk(memo, { 'content-type': 'audio/wav', accept: 'text/event-stream' }));
    const session = all[0]![1].session as string;
    expect(all.map(([event]) => event)).toEqual(['session', 'transcript', 'text', 'audio', 'error']);
    expect(all.at(-1)![1]).toEqual({ error: { message: 'The model broke. The question was saved.', type: 'upstream' }, session });
    expect((await store.messages(session)).map((message) => [message.role, message.status, message.content])).toEqual([['user', 'complete', 'what is the weather'], ['assistant', 'error', 'It is']]);
  });

  it('a speech failure stops the audio there; the text goes on and done says why', async () => {
    synthesizer = new FakeSynthesizer().fail('Take a hat.');
    await start();
    const all = await events(await talk(memo, { 'content-type': 'audio/wav', accept: 'text/event-stream' }));
    expect(all.map(([event, data]) => (event === 'audio' ? `audio ${data.text}` : event))).toEqual(['session', 'transcript', 'text', 'text', 'audio It is sunny.', 'done']);
    expect(all.at(-1)![1]).toMatchObject({ answer: 'It is sunny. Take a hat.', status: 'complete', speechError: expect.stringMatching(/no voice for "Take a hat\."/) });
  });
});
