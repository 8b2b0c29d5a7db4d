/**
 * The turn core on every way a turn ends (success, a stop, a model failure, a speech failure,
 * a store failure, audio with no words), with fakes for the model and the voice and a real
 * SQLite store: what is stored, what is recorded, and that no speaker plays on afterwards.
 */
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTurn, type TurnDependencies, type TurnInput, type TurnRequest } from '../../src/conversation/turn.js';
import { AssistantError } from '../../src/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeChatModel } from '../support/fake-chat-model.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakePlayer } from '../support/fake-player.js';
import { FakeSynthesizer } from '../support/fake-synthesizer.js';
import { FakeTranscriber } from '../support/fake-transcriber.js';
import { memoryCache } from '../support/memory-cache.js';

const request: TurnRequest = {
  sessionId: 'session-1', model: 'chat-model', stream: true, contextBudgetTokens: 16_000, answerCache: 'off',
  owner: 'tester@host', sttModel: 'stt-model', language: undefined, keep: 'heard',
};
const typed = (text: string): TurnInput => ({ kind: 'text', text });
const voiceSettings = { model: 'tts', voice: 'alloy', speed: 1 };

let directory: string;
let store: Store;
let clock: FakeClock;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-turn-'));
  store = await openStore({ kind: 'sqlite', path: join(directory, 'store.db') });
  clock = new FakeClock();
});
afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function parts(chatModel: FakeChatModel, voice?: { synthesizer: FakeSynthesizer; player: FakePlayer }, transcriber?: FakeTranscriber): TurnDependencies {
  return {
    store, chatModel, cache: memoryCache(), now: clock.now,
    ...(voice ? { voice: { ...voice, settings: voiceSettings } } : {}),
    ...(transcriber ? { transcriber } : {}),
  };
}
async function stored(): Promise<Array<[string, string, string]>> {
  return (await store.messages('session-1')).map((message) => [message.role, message.status, message.content]);
}
const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('runTurn', () => {
  it('stores the question before the model is called, then the answer, the spoken reply and the turn with its timings', async () => {
    const chatModel = new FakeChatModel({ pieces: ['One sentence. ', 'Two sentences.'] });
    let storedWhenCalled: Array<[string, string, string]> = [];
    chatModel.onRequest = async () => void (storedWhenCalled = await stored());
    const voice = { synthesizer: new FakeSynthesizer(), player: new FakePlayer() };
    const texts: string[] = [];
    const turn = new AbortController();
    const outcome = await runTurn(parts(chatModel, voice), request, typed('hello'), { onText: (text) => texts.push(text) }, turn.signal);

    expect(storedWhenCalled).toEqual([['user', 'complete', 'hello']]);
    expect(texts.join('')).toBe('One sentence. Two sentences.');
    expect(await stored()).toEqual([['user', 'complete', 'hello'], ['assistant', 'complete', 'One sentence. Two sentences.']]);
    expect(voice.synthesizer.texts).toEqual(['One sentence.', 'Two sentences.']);
    expect(voice.player.playedText).toContain('Two sentences.');
    expect(outcome.kind).toBe('answered');
    const [recorded] = await store.turns('session-1');
    expect(recorded).toMatchObject({ input: 'text', status: 'complete' });
    expect(Object.entries(recorded!.timings).filter(([, at]) => at !== undefined).map(([stage]) => stage).sort()).toEqual(['audioDoneAt', 'firstAudioAt', 'firstSentenceAt', 'firstTokenAt', 'speechEndedAt', 'transcriptAt']);
    expect(recorded!.cpuMilliseconds).toBeGreaterThan(0);
    expect(abortListeners(turn.signal)).toBe(0);
  });

  it('a stop while the answer is spoken keeps what was heard, marked interrupted, and silences the player', async () => {
    const chatModel = new FakeChatModel({ pieces: ['Heard this. ', 'Never heard. '], stall: true });
    const voice = { synthesizer: new FakeSynthesizer({ clock }).slow('Never heard.', 1000), player: new FakePlayer() };
    const turn = new AbortController();
    const running = runTurn(parts(chatModel, voice), request, typed('talk to me'), {}, turn.signal);
    await chatModel.stalled;
    await clock.someoneSleeps();
    await clock.advance(10); // the first sentence has been played; the second is still on its way
    turn.abort();
    const outcome = await running;

    expect(outcome.kind === 'answered' && outcome.result.status).toBe('interrupted');
    expect(await stored()).toEqual([['user', 'complete', 'talk to me'], ['assistant', 'interrupted', 'Heard this.']]);
    expect(voice.player.stops).toBeGreaterThan(0);
    expect(clock.sleeping).toBe(0);
    expect((await store.turns('session-1'))[0]).toMatchObject({ status: 'interrupted' });
  });

  it('keep "printed": a stop during speech keeps the whole answer that arrived, marked interrupted', async () => {
    const chatModel = new FakeChatModel({ pieces: ['First part. ', 'Second part.'] });
    const voice = { synthesizer: new FakeSynthesizer({ clock }).slow('Second part.', 1000), player: new FakePlayer() };
    const turn = new AbortController();
    const running = runTurn(parts(chatModel, voice), { ...request, keep: 'printed' }, typed('q'), {}, turn.signal);
    await clock.someoneSleeps();
    turn.abort();
    await running;
    expect(await stored()).toEqual([['user', 'complete', 'q'], ['assistant', 'interrupted', 'First part. Second part.']]);
  });

  it('a model failure stores what arrived as an error, says why, and stops the speaker', async () => {
    const chatModel = new FakeChatModel({ pieces: ['Half an '], failure: new AssistantError('The stream broke.') });
    const voice = { synthesizer: new FakeSynthesizer(), player: new FakePlayer() };
    const outcome = await runTurn(parts(chatModel, voice), request, typed('q'), {}, new AbortController().signal);
    expect(outcome.kind === 'answered' && outcome.result.status).toBe('error');
    expect(outcome.kind === 'answered' && String(outcome.result.error)).toMatch(/The stream broke/);
    expect(await stored()).toEqual([['user', 'complete', 'q'], ['assistant', 'error', 'Half an ']]);
    expect((await store.turns('session-1'))[0]).toMatchObject({ status: 'error' });
  });

  it('a speech failure is reported beside a complete, stored answer', async () => {
    const chatModel = new FakeChatModel({ pieces: ['Fine. Broken voice.'] });
    const voice = { synthesizer: new FakeSynthesizer().fail('Broken voice.'), player: new FakePlayer() };
    const outcome = await runTurn(parts(chatModel, voice), request, typed('q'), {}, new AbortController().signal);
    expect(outcome.kind === 'answered' && String(outcome.speechFailure)).toMatch(/no voice for "Broken voice\."/);
    expect(await stored()).toEqual([['user', 'complete', 'q'], ['assistant', 'complete', 'Fine. Broken voice.']]);
  });

  it('a store failure while the answer is written rejects the turn with no speaker left playing', async () => {
    const chatModel = new FakeChatModel({ pieces: ['Still speaking. ', 'And more. '], stall: true });
    // The player takes a minute of (fake) time per byte: it is still playing when the store fails.
    const voice = { synthesizer: new FakeSynthesizer(), player: new FakePlayer({ clock, millisecondsPerByte: 60_000 }) };
    const turn = new AbortController();
    const running = runTurn(parts(chatModel, voice), request, typed('q'), {}, turn.signal);
    await chatModel.stalled;
    await clock.someoneSleeps();
    // Another process deletes the session while the answer is being written: the answer is discarded.
    await store.deleteSession('session-1');
    turn.abort();
    await expect(running).rejects.toThrow(/was deleted while the answer was being written/);
    expect(voice.player.stops).toBeGreaterThan(0);
    expect(clock.sleeping).toBe(0);
    expect(await stored()).toEqual([]);
  });

  it('a store that cannot take the question rejects the turn; the speaker lets go of the turn signal', async () => {
    const chatModel = new FakeChatModel();
    const voice = { synthesizer: new FakeSynthesizer(), player: new FakePlayer() };
    const failing: TurnDependencies['store'] = {
      appendMessage: async () => {
        throw new AssistantError('Cannot write the database: disk full.');
      },
      messages: (sessionId) => store.messages(sessionId),
      recordTurn: (turn) => store.recordTurn(turn),
    };
    const turn = new AbortController();
    await expect(runTurn({ ...parts(chatModel, voice), store: failing }, request, typed('q'), {}, turn.signal)).rejects.toThrow(/disk full/);
    expect(chatModel.requests).toHaveLength(0);
    expect(abortListeners(turn.signal)).toBe(0);
  });

  it('audio with no words asks nothing and stores nothing; a transcript becomes the question', async () => {
    const chatModel = new FakeChatModel();
    const transcriber = new FakeTranscriber(['', 'what time is it']);
    const audio: TurnInput = { kind: 'voice', audio: new Uint8Array(44), filename: 'speech.wav', speechEndedAt: clock.now() - 700, endpointAt: clock.now() };
    const heard: string[] = [];
    expect(await runTurn(parts(chatModel, undefined, transcriber), request, audio, {}, new AbortController().signal)).toEqual({ kind: 'unheard', reason: 'no-words' });
    expect(chatModel.requests).toHaveLength(0);
    expect(await stored()).toEqual([]);

    await runTurn(parts(chatModel, undefined, transcriber), request, { ...audio, audio: new Uint8Array(46) }, { onHeard: (text) => heard.push(text) }, new AbortController().signal);
    expect(heard).toEqual(['what time is it']);
    expect(await stored()).toEqual([['user', 'complete', 'what time is it'], ['assistant', 'complete', 'ok']]);
    expect((await store.turns('session-1'))[0]).toMatchObject({ input: 'voice', timings: { speechEndedAt: clock.now() - 700, endpointAt: clock.now(), transcriptAt: clock.now() } });
  });

  it('a transcription failure rejects before anything is stored or asked', async () => {
    const chatModel = new FakeChatModel();
    const transcriber = new FakeTranscriber([new AssistantError('The transcription server is down.')]);
    const audio: TurnInput = { kind: 'audio-file', audio: new Uint8Array(44), filename: 'memo.wav' };
    await expect(runTurn(parts(chatModel, undefined, transcriber), request, audio, {}, new AbortController().signal)).rejects.toThrow(/server is down/);
    expect(chatModel.requests).toHaveLength(0);
    expect(await stored()).toEqual([]);
  });
});
