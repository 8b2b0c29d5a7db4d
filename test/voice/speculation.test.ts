/**
 * The speculative start of a talk turn (src/voice/speculation.ts, driven by TalkSession):
 * during a pause the utterance so far is transcribed, the chat request sent and the first
 * clip synthesized, with nothing stored, cached or played; speech after the pause aborts it
 * all (the local server sees the connections closed); a pause that becomes the end of the
 * turn hands the turn that work (one transcription, one chat call, stored once).
 * Real store, real OpenAI adapters against the local OpenAI-compatible server; the
 * microphone is a scripted listener that the test drives as the detector would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Channel } from '../../src/async/channel.js';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { OpenAIChatModel } from '../../src/chat/openai-chat-model.js';
import { computeStats } from '../../src/observability/stats.js';
import type { RequestLog } from '../../src/observability/request-log.js';
import { OpenAISynthesizer, OpenAITranscriber } from '../../src/speech/openai-speech.js';
import { openStore } from '../../src/store/open-store.js';
import type { RequestRecord, Store } from '../../src/store/store.js';
import { Terminal, type OutputStream } from '../../src/ui/terminal.js';
import type { Heard, Listener } from '../../src/voice/listeners.js';
import { StatusLine } from '../../src/voice/status-line.js';
import { TalkSession } from '../../src/voice/talk-session.js';
import { speechLike } from '../support/audio-fixtures.js';
import { FakePlayer } from '../support/fake-player.js';
import { FakeOpenAIServer } from '../support/openai-server.js';
import { waitUntil } from '../support/wait-for.js';

/** The microphone as the test tells it: utterances pushed by the test, and the windows the words asked for. */
class ScriptedMicrophone implements Listener {
  readonly utterances = new Channel<Heard>();
  readonly windows: Array<{ milliseconds: number; pauseId: number }> = [];
  async listen(signal: AbortSignal): Promise<Heard | undefined> {
    const next = await this.utterances.read(signal);
    return next.done ? undefined : next.value;
  }
  pause(): void {}
  resume(): void {}
  async close(): Promise<void> {}
  setTrailingSilence(milliseconds: number, pauseId: number): void {
    this.windows.push({ milliseconds, pauseId });
  }
}

/** Collects the request log's rows, as the store would get them. */
class CollectingLog implements RequestLog {
  readonly rows: RequestRecord[] = [];
  record(records: RequestRecord[]): void {
    this.rows.push(...records);
  }
  async flush(): Promise<void> {}
}

const quiet: OutputStream = { write: () => true };
const pcm = speechLike(900);

let directory: string;
let store: Store;
let server: FakeOpenAIServer;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-speculation-'));
  store = await openStore({ kind: 'sqlite', path: join(directory, 'store.db') });
  server = await new FakeOpenAIServer().start();
});
afterEach(async () => {
  await server.close();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function talk({ speculate = true } = {}): { session: TalkSession; microphone: ScriptedMicrophone; player: FakePlayer; log: CollectingLog; run: Promise<void> } {
  const log = new CollectingLog();
  const connection = { baseURL: server.url, apiKey: 'test', timeoutSeconds: 30, maxRetries: 0, requestLog: log };
  const microphone = new ScriptedMicrophone();
  const player = new FakePlayer();
  const terminal = new Terminal({ stdout: quiet, stderr: quiet, env: {} });
  const session = new TalkSession(
    {
      store,
      chatModel: new OpenAIChatModel(connection),
      cache: new ResponseCache(store, { enabled: true, maxBytes: 10_000_000, ttlSeconds: undefined }, log),
      transcriber: new OpenAITranscriber(connection),
      voice: { synthesizer: new OpenAISynthesizer(connection), player, settings: { model: 'tts', voice: 'alloy', speed: 1 } },
      input: microphone,
      terminal,
      status: new StatusLine(terminal),
    },
    {
      sessionId: 'speculation', model: 'test-model', system: undefined, temperature: undefined, contextBudgetTokens: 16_000,
      answerCache: 'write-only', owner: 'test', sttModel: 'stt', language: 'en', verbose: false, keepAudioDirectory: undefined,
      echoTyped: false, speculate, turnEnd: speculate ? { unfinishedMilliseconds: 1200, undecidedMilliseconds: 700, completeMilliseconds: 400 } : undefined,
    },
  );
  return { session, microphone, player, log, run: session.run() };
}

const path = (kind: 'transcriptions' | 'chat' | 'speech'): string => (kind === 'chat' ? '/v1/chat/completions' : `/v1/audio/${kind}`);

describe('speculative start', () => {
  it('speech after the pause aborts it: the server sees the requests closed, nothing is stored or cached or played', async () => {
    server.defaultTranscript = { text: 'What is the capital of France?' };
    server.defaultReply = { text: 'The capital of France is Paris, a city on the Seine.', stallAfterChunks: 2 };
    const { session, microphone, player, run } = talk();
    session.paused({ id: 1, pcm });
    await waitUntil(() => server.chatRequests.length === 1, 'the speculative chat request');
    session.resumed();
    await waitUntil(() => server.abandoned.some((request) => request.path === path('chat')), 'the server to see the chat request closed');

    microphone.utterances.close();
    await run;
    expect(server.transcriptionRequests).toHaveLength(1);
    expect(player.played).toHaveLength(0);
    const size = await store.size();
    expect(await store.messages('speculation')).toEqual([]);
    expect(size.rows.turns ?? 0).toBe(0);
    expect(size.rows.cache ?? size.rows.cache_entries ?? 0).toBe(0);
  });

  it('a transcription still running when speech comes back is aborted too', async () => {
    server.transcriptions.push({ hang: true });
    const { session, microphone, run } = talk();
    session.paused({ id: 1, pcm });
    await waitUntil(() => server.transcriptionRequests.length === 1, 'the speculative transcription');
    session.resumed();
    await waitUntil(() => server.abandoned.some((request) => request.path === path('transcriptions')), 'the server to see the transcription closed');
    microphone.utterances.close();
    await run;
    expect(server.chatRequests).toHaveLength(0);
    expect(await store.messages('speculation')).toEqual([]);
  });

  it('a pause that ends the turn: the turn takes the work (one transcription, one chat call, the first clip once), stored once, played only after the commit', async () => {
    server.defaultTranscript = { text: 'What is the capital of France?' };
    server.defaultReply = { text: 'The capital of France is Paris, a city on the Seine. It is lovely.' };
    const { session, microphone, player, log, run } = talk();
    session.paused({ id: 1, pcm });
    // Before the commit: transcript, the whole answer and the first clip's audio are there, nothing played or stored.
    await waitUntil(() => server.speechRequests.length === 1, 'the speculative first clip');
    expect(server.speechRequests[0]!.body.input).toBe('The capital of France is Paris,');
    expect(player.played).toHaveLength(0);
    expect(await store.messages('speculation')).toEqual([]);
    // The words are a complete question: the turn may end sooner.
    expect(microphone.windows).toEqual([{ milliseconds: 400, pauseId: 1 }]);

    microphone.utterances.push({ kind: 'voice', pcm: Buffer.concat([pcm, Buffer.alloc(16_000)]), speechEndedAt: Date.now(), endpointAt: Date.now(), pauseId: 1 });
    await waitUntil(async () => (await store.messages('speculation')).length === 2, 'the turn to be stored');
    microphone.utterances.close();
    await run;

    expect(server.transcriptionRequests).toHaveLength(1);
    expect(server.chatRequests).toHaveLength(1);
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(['The capital of France is Paris,', 'a city on the Seine.', 'It is lovely.']);
    expect(server.abandoned).toEqual([]);
    expect(player.played.length).toBeGreaterThan(0);
    const messages = await store.messages('speculation');
    expect(messages.map((message) => [message.role, message.content, message.status])).toEqual([
      ['user', 'What is the capital of France?', 'complete'],
      ['assistant', 'The capital of France is Paris, a city on the Seine. It is lovely.', 'complete'],
    ]);
    const turns = await store.turnsMatching({});
    expect(turns).toHaveLength(1);
    // The speculative calls are filed under the committed turn, marked speculative.
    const speculative = log.rows.filter((row) => row.speculative);
    expect(new Set(speculative.map((row) => row.endpoint))).toEqual(new Set(['transcription', 'chat', 'speech']));
    expect(new Set(speculative.map((row) => row.turnKey))).toEqual(new Set([turns[0]!.turnKey]));
  });

  it('an utterance that did not end in the speculated pause does not use it, and the speculation is aborted', async () => {
    server.defaultTranscript = { text: 'What is the capital of France?' };
    server.defaultReply = { text: 'Paris.', stallAfterChunks: 0 };
    const { session, microphone, run } = talk();
    session.paused({ id: 1, pcm });
    await waitUntil(() => server.chatRequests.length === 1, 'the speculative chat request');
    server.defaultReply = { text: 'Paris.' };
    microphone.utterances.push({ kind: 'voice', pcm, speechEndedAt: Date.now(), endpointAt: Date.now(), pauseId: undefined });
    await waitUntil(async () => (await store.messages('speculation')).length === 2, 'the turn to be stored');
    microphone.utterances.close();
    await run;
    expect(server.transcriptionRequests).toHaveLength(2);
    expect(server.chatRequests).toHaveLength(2);
    expect(server.abandoned.map((request) => request.path)).toEqual([path('chat')]);
  });

  it('--no-speculate: nothing is sent before the turn ends', async () => {
    const { session, microphone, run } = talk({ speculate: false });
    session.paused({ id: 1, pcm });
    microphone.utterances.push({ kind: 'voice', pcm, speechEndedAt: Date.now(), endpointAt: Date.now(), pauseId: 1 });
    await waitUntil(async () => (await store.messages('speculation')).length === 2, 'the turn to be stored');
    microphone.utterances.close();
    await run;
    expect(server.requests.filter((request) => request.path === path('transcriptions'))).toHaveLength(1);
    expect(microphone.windows).toEqual([]);
  });
});

describe('speculation in stats', () => {
  it('counts speculations started, used (their turn was stored) and discarded, and the extra transcriptions per turn', () => {
    const row = (turnKey: string, endpoint: RequestRecord['endpoint'], speculative: boolean, id: number) => ({
      id, at: 1000 + id, turnKey, endpoint, host: 'h', attempt: 1, cached: false, status: 200, ...(speculative ? { speculative: true } : {}),
    });
    const report = computeStats({
      requests: [row('used', 'transcription', true, 1), row('used', 'chat', true, 2), row('gone', 'transcription', true, 3), row('gone', 'chat', true, 4), row('plain', 'transcription', false, 5)],
      turns: [{ id: 1, sessionId: 's', turnKey: 'used', input: 'voice', status: 'complete', timings: {}, createdAt: new Date(0) } as never, { id: 2, sessionId: 's', turnKey: 'plain', input: 'voice', status: 'complete', timings: {}, createdAt: new Date(0) } as never],
      size: { bytes: 0, rows: {} },
      description: 'test',
      since: undefined,
    });
    expect(report.speculation).toEqual({ started: 2, used: 1, discarded: 1, extraTranscriptionsPerTurn: 0.5 });
  });
});
