/**
 * Ctrl-C in `talk` (TalkSession.interrupt): during an answer it stops the answer, at the
 * prompt it ends the session, and a second press within 1.5 s exits at once. The window is
 * measured on the session's injected clock, so these tests move a fake clock instead of
 * waiting 1.5 s. Real SQLite store; the model, the input and the terminal are small fakes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { abortError, type ChatEvent, type ChatModel, type ChatRequest } from '../../src/chat/chat-model.js';
import type { Transcriber, TranscriptionRequest } from '../../src/speech/speech-models.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { Terminal, type OutputStream } from '../../src/ui/terminal.js';
import type { Heard, Listener } from '../../src/voice/listeners.js';
import { StatusLine } from '../../src/voice/status-line.js';
import { TalkSession } from '../../src/voice/talk-session.js';
import { waitUntil } from '../support/wait-for.js';

/** A model that starts answering, then goes on until its request is aborted. */
class EndlessChatModel implements ChatModel {
  readonly baseURL = 'http://endless.invalid/v1';
  /** Requests whose first words were taken by the session (the answer is under way). */
  answering = 0;
  async *generate(request: ChatRequest, { signal }: { signal?: AbortSignal }): AsyncIterable<ChatEvent> {
    yield { type: 'text', text: `Answering ${request.messages.at(-1)?.content}: one two ` };
    this.answering += 1;
    await new Promise((_, reject) => {
      if (signal?.aborted) reject(abortError());
      signal?.addEventListener('abort', () => reject(abortError()), { once: true });
    });
  }
}

/** A transcription that is under way until its request is aborted. */
class EndlessTranscriber implements Transcriber {
  readonly baseURL = 'http://endless.invalid/v1';
  /** Transcriptions started. */
  started = 0;
  async transcribe(_request: TranscriptionRequest, { signal }: { signal?: AbortSignal }): Promise<{ text: string }> {
    this.started += 1;
    return new Promise((_, reject) => {
      if (signal?.aborted) reject(abortError());
      signal?.addEventListener('abort', () => reject(abortError()), { once: true });
    });
  }
}

/** Typed lines (or an utterance), one per turn; after the last, the prompt waits until the session ends. */
class TypedLines implements Listener {
  /** How many times the session has listened (2: it is at the prompt after the first turn). */
  listens = 0;
  constructor(
    private readonly lines: Array<string | Heard>,
    private readonly now: () => number,
  ) {}

  async listen(signal: AbortSignal): Promise<Heard | undefined> {
    this.listens += 1;
    const line = this.lines.shift();
    if (typeof line === 'string') return { kind: 'text', text: line, at: this.now() };
    if (line !== undefined) return line;
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return undefined;
  }

  pause(): void {}
  resume(): void {}
  async close(): Promise<void> {}
}

const discard: OutputStream = { write: () => true };

let directory: string;
let store: Store;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-interrupt-'));
  store = await openStore({ kind: 'sqlite', path: join(directory, 'store.db') });
});
afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

/** A session on a fake clock (milliseconds; set `clock.now` to move it), typing `lines`. */
function talkSession(
  lines: Array<string | Heard>,
  { transcriber, output = discard }: { transcriber?: Transcriber; output?: OutputStream } = {},
): { session: TalkSession; chatModel: EndlessChatModel; input: TypedLines; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const now = (): number => clock.now;
  const chatModel = new EndlessChatModel();
  const input = new TypedLines(lines, now);
  const terminal = new Terminal({ stdout: output, stderr: output, env: {} });
  const session = new TalkSession(
    {
      store,
      chatModel,
      cache: new ResponseCache(store, { enabled: false, maxBytes: 0, ttlSeconds: undefined }),
      transcriber,
      voice: undefined,
      input,
      terminal,
      status: new StatusLine(terminal, now),
      now,
    },
    {
      sessionId: 'interrupt',
      model: 'test-model',
      system: undefined,
      temperature: undefined,
      contextBudgetTokens: 16_000,
      answerCache: 'off',
      owner: 'test',
      sttModel: 'test-stt',
      language: undefined,
      verbose: false,
      keepAudioDirectory: undefined,
      echoTyped: false,
      speculate: false,
      turnEnd: undefined,
    },
  );
  return { session, chatModel, input, clock };
}

async function statuses(): Promise<string[][]> {
  return (await store.messages('interrupt')).map((message) => [message.role, message.status]);
}

describe('Ctrl-C in talk', () => {
  it('during an answer stops it and listens again; at the prompt, 1.5 s or more later, it ends the session', async () => {
    const { session, chatModel, input, clock } = talkSession(['count please']);
    const running = session.run();
    await waitUntil(() => chatModel.answering === 1, 'the answer to start');

    expect(session.interrupt()).toBe('stopped-answer');
    await waitUntil(() => input.listens === 2, 'the prompt after the stopped answer');
    clock.now += 1500;
    expect(session.interrupt()).toBe('ended-session');
    await running;

    expect(session.turnCount).toBe(1);
    expect(await statuses()).toEqual([
      ['user', 'complete'],
      ['assistant', 'interrupted'],
    ]);
  });

  it('a second press within 1.5 s exits at once; each press starts the window again', async () => {
    const { session, chatModel, input, clock } = talkSession(['count please']);
    const running = session.run();
    await waitUntil(() => chatModel.answering === 1, 'the answer to start');

    expect(session.interrupt()).toBe('stopped-answer');
    await waitUntil(() => input.listens === 2, 'the prompt after the stopped answer');
    clock.now += 1499;
    expect(session.interrupt()).toBe('exit-now');
    // Each press restarts the window: a third press soon after the second is quick too.
    clock.now += 1499;
    expect(session.interrupt()).toBe('exit-now');

    session.end();
    await running;
  });

  it('the first press at the prompt ends the session, storing nothing', async () => {
    const { session, input } = talkSession([]);
    const running = session.run();
    await waitUntil(() => input.listens === 1, 'the prompt');
    expect(session.interrupt()).toBe('ended-session');
    await running;
    expect(session.turnCount).toBe(0);
    expect(await statuses()).toEqual([]);
  });

  it('during transcription stops the turn: nothing is asked or stored, no error, "(interrupted)", and it listens again', async () => {
    const transcriber = new EndlessTranscriber();
    let printed = '';
    const output: OutputStream = { write: (chunk) => ((printed += String(chunk)), true) };
    const utterance: Heard = { kind: 'voice', pcm: Buffer.alloc(3200), speechEndedAt: 1_000_000, endpointAt: 1_000_000 };
    const { session, chatModel, input } = talkSession([utterance], { transcriber, output });
    const running = session.run();
    await waitUntil(() => transcriber.started === 1, 'the transcription to start');

    expect(session.interrupt()).toBe('stopped-answer');
    await waitUntil(() => input.listens === 2, 'listening again');
    session.end();
    await running;

    expect(chatModel.answering).toBe(0);
    expect(session.turnCount).toBe(0);
    expect(await statuses()).toEqual([]);
    expect(printed).not.toMatch(/Error|abort/i);
    expect(printed).toMatch(/\(interrupted\)/);
  });
});
