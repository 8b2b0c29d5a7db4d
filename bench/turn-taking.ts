/**
 * Time to first audio from the END OF SPEECH (the detector's wait included), side by side in
 * one run, on the delays of bench/time-to-first-audio.ts:
 * - sequential: wait the 700 ms window, transcribe, the whole reply, synthesize it all, play;
 * - today: wait the 700 ms window, then the streamed pipeline, first audio after the first whole sentence;
 * - first clause: the same with the first clip cut at a clause;
 * - speculation: the real talk loop (TalkSession) told of a pause at 250 ms and of the end at 700 ms;
 * - speculation + word-aware end: the same, the end coming when the words' window says.
 * Also the cost: requests per turn when the person pauses mid-sentence (a speculation discarded).
 * Real timers, the local OpenAI-compatible server, a player that notes when audio first arrives.
 */
import { Channel } from '../src/async/channel.js';
import { ResponseCache } from '../src/cache/response-cache.js';
import type { AudioSink, Player } from '../src/audio/player.js';
import { encodeWav, parseWavHeader } from '../src/audio/wav.js';
import { OpenAIChatModel } from '../src/chat/openai-chat-model.js';
import { runExchange } from '../src/conversation/exchange.js';
import { OpenAISynthesizer, OpenAITranscriber } from '../src/speech/openai-speech.js';
import type { Store } from '../src/store/store.js';
import { Terminal } from '../src/ui/terminal.js';
import type { Heard, Listener } from '../src/voice/listeners.js';
import { ReplySpeaker } from '../src/voice/reply-speaker.js';
import { StatusLine } from '../src/voice/status-line.js';
import { TalkSession } from '../src/voice/talk-session.js';
import { DEFAULT_COMPLETE_MILLISECONDS, DEFAULT_UNFINISHED_MILLISECONDS } from '../src/voice/turn-end-rules.js';
import { transcribeCached } from '../src/voice/transcribe.js';
import type { FakeOpenAIServer } from '../test/support/openai-server.js';
import { DELAYS } from './time-to-first-audio.js';
import { ms, summary, table } from './stats.js';

export const SILENCE_MS = 700;
/** talk's default (ASSISTANT_PAUSE_MS). */
export const PAUSE_MS = 200;
const QUESTION = 'What is the capital of France?';

/** A player that only notes when the first audio arrives (performance.now()). */
class TimingPlayer implements Player {
  readonly name = 'timing';
  firstAudioAt: number | undefined;
  open(): AudioSink {
    return { write: async () => void (this.firstAudioAt ??= performance.now()), endClip: async () => {}, finish: async () => {}, stop: async () => {} };
  }
}

/** The microphone as the detector would drive it: a pause, then the end of the turn when the window passes. */
class TimelineMicrophone implements Listener {
  readonly utterances = new Channel<Heard>();
  private commit: NodeJS.Timeout | undefined;
  constructor(private readonly speechEndedAt: number) {}
  async listen(signal: AbortSignal): Promise<Heard | undefined> {
    const next = await this.utterances.read(signal);
    return next.done ? undefined : next.value;
  }
  pause(): void {}
  resume(): void {}
  async close(): Promise<void> {
    clearTimeout(this.commit);
  }
  /** Ends the turn `milliseconds` after the end of speech (at once if that has passed). */
  endAfter(milliseconds: number, pauseId: number | undefined): void {
    clearTimeout(this.commit);
    const wait = Math.max(0, this.speechEndedAt + milliseconds - performance.now());
    this.commit = setTimeout(() => this.utterances.push({ kind: 'voice', pcm: Buffer.alloc(32_000), speechEndedAt: Date.now(), endpointAt: Date.now(), pauseId }), wait);
  }
  setTrailingSilence(milliseconds: number, pauseId: number): void {
    this.endAfter(milliseconds, pauseId);
  }
}

function parts(server: FakeOpenAIServer, store: Store) {
  const connection = { baseURL: server.url, apiKey: 'bench', timeoutSeconds: 30, maxRetries: 0 };
  return {
    cache: new ResponseCache(store, { enabled: false, maxBytes: 0, ttlSeconds: undefined }),
    chatModel: new OpenAIChatModel(connection),
    transcriber: new OpenAITranscriber(connection),
    synthesizer: new OpenAISynthesizer(connection),
    settings: { model: 'tts', voice: 'alloy', speed: 1 },
  };
}

const waitMs = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** today / first clause: the detector's window, then transcribe and the streamed pipeline. */
async function pipelined(server: FakeOpenAIServer, store: Store, firstClauseWords: number): Promise<number> {
  const { cache, chatModel, transcriber, synthesizer, settings } = parts(server, store);
  const player = new TimingPlayer();
  const start = performance.now();
  await waitMs(SILENCE_MS);
  const { text } = await transcribeCached(encodeWav(Buffer.alloc(32_000)), 'speech.wav', { transcriber, cache, model: 'stt', language: undefined });
  const speaker = new ReplySpeaker({ synthesizer, cache, player, settings, signal: new AbortController().signal, firstClauseWords });
  await runExchange(
    { store, chatModel, cache },
    { sessionId: `bench-${firstClauseWords}`, userText: text, model: 'chat', system: undefined, temperature: undefined, stream: true, contextBudgetTokens: 16_000, answerCache: 'off' },
    { onText: (delta) => speaker.text(delta), beforeStore: (outcome) => speaker.settle(outcome) },
  );
  return player.firstAudioAt! - start;
}

/** sequential: the window, transcribe, the whole reply, synthesize it all, then play. */
async function sequential(server: FakeOpenAIServer, store: Store): Promise<number> {
  const { cache, chatModel, transcriber, synthesizer } = parts(server, store);
  const start = performance.now();
  await waitMs(SILENCE_MS);
  const { text } = await transcribeCached(encodeWav(Buffer.alloc(32_000)), 'speech.wav', { transcriber, cache, model: 'stt', language: undefined });
  const whole = await runExchange(
    { store, chatModel, cache },
    { sessionId: 'bench-sequential', userText: text, model: 'chat', system: undefined, temperature: undefined, stream: true, contextBudgetTokens: 16_000, answerCache: 'off' },
  );
  const clip: Uint8Array[] = [];
  for await (const chunk of await synthesizer.synthesize({ text: whole.answer, model: 'tts', voice: 'alloy', speed: 1, format: 'wav' }, {})) clip.push(chunk);
  const audio = Buffer.concat(clip);
  const player = new TimingPlayer();
  await player.open().write(audio.subarray(parseWavHeader(audio)!.dataOffset));
  return player.firstAudioAt! - start;
}

let sessions = 0;

/**
 * The talk loop with speculation: a pause at 250 ms, the end at 700 ms (or when the words'
 * window says). `resumeAt`: the person speaks again then (a mid-sentence pause) and pauses
 * again 250 ms after that. Returns the time to first audio and the requests the turn made.
 */
async function speculative(server: FakeOpenAIServer, store: Store, wordAware: boolean, resumeAt?: number): Promise<{ firstAudio: number; requests: Record<string, number> }> {
  const { cache, chatModel, transcriber, synthesizer, settings } = parts(server, store);
  const player = new TimingPlayer();
  const terminal = new Terminal({ stdout: { write: () => true }, stderr: { write: () => true }, env: {} });
  const before = server.requests.length;
  sessions += 1;
  // With a mid-sentence pause, the real end of speech comes after the second stretch of speech.
  const speechEndedAt = performance.now() + (resumeAt === undefined ? 0 : resumeAt + 300);
  const microphone = new TimelineMicrophone(speechEndedAt);
  const session = new TalkSession(
    { store, chatModel, cache, transcriber, voice: { synthesizer, player, settings }, input: microphone, terminal, status: new StatusLine(terminal) },
    {
      sessionId: `bench-speculation-${sessions}`, model: 'chat', system: undefined, temperature: undefined, contextBudgetTokens: 16_000, answerCache: 'off',
      owner: 'bench', sttModel: 'stt', language: 'en', verbose: false, keepAudioDirectory: undefined, echoTyped: false, speculate: true,
      turnEnd: wordAware ? { unfinishedMilliseconds: DEFAULT_UNFINISHED_MILLISECONDS, undecidedMilliseconds: SILENCE_MS, completeMilliseconds: DEFAULT_COMPLETE_MILLISECONDS } : undefined,
    },
  );
  const run = session.run();
  const pcm = Buffer.alloc(32_000);
  if (resumeAt !== undefined) {
    await waitMs(PAUSE_MS);
    session.paused({ id: 1, pcm });
    await waitMs(resumeAt - PAUSE_MS);
    session.resumed();
  }
  await waitMs(Math.max(0, speechEndedAt + PAUSE_MS - performance.now()));
  session.paused({ id: 2, pcm });
  microphone.endAfter(SILENCE_MS, 2);
  while (player.firstAudioAt === undefined) await waitMs(5);
  // The turn is stored when it has been spoken; then the session ends.
  while ((await store.messages(`bench-speculation-${sessions}`)).length < 2) await waitMs(5);
  microphone.utterances.close();
  await run;
  const requests: Record<string, number> = {};
  for (const request of server.requests.slice(before)) requests[request.path] = (requests[request.path] ?? 0) + 1;
  return { firstAudio: player.firstAudioAt - speechEndedAt, requests };
}

export async function turnTaking(server: FakeOpenAIServer, store: Store, replies: Record<string, string>, runs: number): Promise<string> {
  server.defaultTranscript = { text: QUESTION, delayMs: DELAYS.transcriptionMs };
  server.defaultSpeech = { delayMs: DELAYS.speechFirstByteMs };
  const rows: string[][] = [];
  const best: string[] = [];
  for (const [name, reply] of Object.entries(replies)) {
    server.defaultReply = { text: reply, delayMs: DELAYS.firstTokenMs, chunkDelayMs: DELAYS.tokenMs };
    const results: Record<string, number[]> = { sequential: [], today: [], clause: [], speculation: [], wordAware: [] };
    // Interleaved, so a slow moment of the machine hits every variant alike.
    for (let run = 0; run < runs; run += 1) {
      results.sequential!.push(await sequential(server, store));
      results.today!.push(await pipelined(server, store, Number.POSITIVE_INFINITY));
      results.clause!.push(await pipelined(server, store, 4));
      results.speculation!.push((await speculative(server, store, false)).firstAudio);
      results.wordAware!.push((await speculative(server, store, true)).firstAudio);
    }
    const cell = (values: number[]): string => {
      const { median, min, max } = summary(values);
      return `${ms(median)} (${ms(min)} – ${ms(max)})`;
    };
    rows.push([name, cell(results.sequential!), cell(results.today!), cell(results.clause!), cell(results.speculation!), cell(results.wordAware!)]);
    best.push(`${name}: ${ms(summary(results.wordAware!).median)}`);
  }
  server.defaultReply = { text: Object.values(replies)[0]!, delayMs: DELAYS.firstTokenMs, chunkDelayMs: DELAYS.tokenMs };
  const plain = await speculative(server, store, true);
  const paused = await speculative(server, store, true, 450);
  const count = (requests: Record<string, number>, path: string): number => requests[path] ?? 0;
  const costRows = [
    ['no pause inside the question', String(count(plain.requests, '/v1/audio/transcriptions')), String(count(plain.requests, '/v1/chat/completions')), String(count(plain.requests, '/v1/audio/speech'))],
    ['one 450 ms pause inside the question', String(count(paused.requests, '/v1/audio/transcriptions')), String(count(paused.requests, '/v1/chat/completions')), String(count(paused.requests, '/v1/audio/speech'))],
  ];
  return [
    `From the end of speech (the detector's wait included) to the first audio bytes at the player; medians (min – max) of ${runs} runs, interleaved. ` +
      `Delays as above; trailing silence ${SILENCE_MS} ms, pause (speculative start) ${PAUSE_MS} ms, word-aware windows: complete ${DEFAULT_COMPLETE_MILLISECONDS} ms, unfinished ${DEFAULT_UNFINISHED_MILLISECONDS} ms; the question "${QUESTION}" is a complete one.`,
    '',
    table(['reply', 'sequential baseline', "today's pipeline", '+ first clause clip', '+ speculation', '+ speculation + word-aware end'], rows),
    '',
    `With speculation + word-aware end (target at most 1.2 s): ${best.join('; ')}.`,
    '',
    'The cost of speculation: requests for one spoken turn with speculation and the word-aware end (without speculation: 1 transcription, 1 chat request, one speech request per clip).',
    '',
    table(['turn', 'transcriptions', 'chat requests', 'speech requests'], costRows),
  ].join('\n');
}
