/**
 * Time to first audio of a voice turn, measured side by side in one run against the local
 * OpenAI-compatible server with realistic delays: our pipeline (speak each sentence as soon
 * as it is complete) next to a sequential one (transcribe, wait for the whole reply,
 * synthesize it all, then play). The clock starts at the end of speech; it stops when the
 * first audio bytes reach the player.
 * Run by bench/run.ts (npm run bench).
 */
import { ResponseCache } from '../src/cache/response-cache.js';
import type { AudioSink, Player } from '../src/audio/player.js';
import { parseWavHeader } from '../src/audio/wav.js';
import { OpenAIChatModel } from '../src/chat/openai-chat-model.js';
import { runExchange } from '../src/conversation/exchange.js';
import { OpenAISynthesizer, OpenAITranscriber } from '../src/speech/openai-speech.js';
import type { Store } from '../src/store/store.js';
import { FIRST_CLAUSE_WORDS, ReplySpeaker } from '../src/voice/reply-speaker.js';
import { SentenceSplitter } from '../src/voice/sentence-splitter.js';
import { transcribeCached } from '../src/voice/transcribe.js';
import { encodeWav } from '../src/audio/wav.js';
import { FakeOpenAIServer } from '../test/support/openai-server.js';

export const DELAYS = { transcriptionMs: 300, firstTokenMs: 250, tokenMs: 30, speechFirstByteMs: 200 };

export const REPLIES = {
  'one sentence': 'The capital of France is Paris, a city on the Seine.',
  'five sentences':
    'The capital of France is Paris. It sits on the river Seine. About two million people live in the city itself. ' +
    'It is known for the Eiffel Tower and the Louvre. Spring is a lovely time to visit.',
};

/** A player that only notes when the first audio arrives. */
class TimingPlayer implements Player {
  readonly name = 'timing';
  firstAudioAt: number | undefined;
  open(): AudioSink {
    return {
      write: async () => void (this.firstAudioAt ??= performance.now()),
      endClip: async () => {},
      finish: async () => {},
      stop: async () => {},
    };
  }
}

export interface Measurement {
  pipelined: number;
  sequential: number;
  /** transcription + first token + the first clip's tokens (a clause or a sentence) + speech first byte. */
  floor: number;
}

export async function measureOnce(server: FakeOpenAIServer, store: Store, reply: string): Promise<Measurement> {
  const connection = { baseURL: server.url, apiKey: 'bench', timeoutSeconds: 30, maxRetries: 0 };
  const cache = new ResponseCache(store, { enabled: false, maxBytes: 0, ttlSeconds: undefined });
  const chatModel = new OpenAIChatModel(connection);
  const transcriber = new OpenAITranscriber(connection);
  const synthesizer = new OpenAISynthesizer(connection);
  const audio = encodeWav(Buffer.alloc(32_000));
  const settings = { model: 'tts', voice: 'alloy', speed: 1 };
  server.defaultReply = { text: reply, delayMs: DELAYS.firstTokenMs, chunkDelayMs: DELAYS.tokenMs };
  server.defaultTranscript = { text: 'What is the capital of France?', delayMs: DELAYS.transcriptionMs };
  server.defaultSpeech = { delayMs: DELAYS.speechFirstByteMs };

  // Ours: stream the reply, synthesize and play each sentence as soon as it is complete.
  const player = new TimingPlayer();
  let start = performance.now();
  const { text } = await transcribeCached(audio, 'speech.wav', { transcriber, cache, model: 'stt', language: undefined });
  const speaker = new ReplySpeaker({ synthesizer, cache, player, settings, signal: new AbortController().signal });
  await runExchange(
    { store, chatModel, cache },
    { sessionId: 'bench', userText: text, model: 'chat', system: undefined, temperature: undefined, stream: true, contextBudgetTokens: 16_000, answerCache: 'off' },
    { onText: (delta) => speaker.text(delta), beforeStore: (outcome) => speaker.settle(outcome) },
  );
  const pipelined = player.firstAudioAt! - start;

  // Sequential: transcribe, wait for the whole reply, synthesize all of it, then play.
  start = performance.now();
  const { text: again } = await transcribeCached(audio, 'speech.wav', { transcriber, cache, model: 'stt', language: undefined });
  const whole = await runExchange(
    { store, chatModel, cache },
    { sessionId: 'bench', userText: again, model: 'chat', system: undefined, temperature: undefined, stream: true, contextBudgetTokens: 16_000, answerCache: 'off' },
  );
  const clip: Uint8Array[] = [];
  for await (const chunk of await synthesizer.synthesize({ text: whole.answer, model: 'tts', voice: 'alloy', speed: 1, format: 'wav' }, {})) clip.push(chunk);
  const header = parseWavHeader(Buffer.concat(clip));
  const sequentialPlayer = new TimingPlayer();
  await sequentialPlayer.open().write(Buffer.concat(clip).subarray(header!.dataOffset));
  const sequential = sequentialPlayer.firstAudioAt! - start;

  // The first clip as the speaker cuts it (the first clause, else the first sentence); each word is one streamed token.
  const splitter = new SentenceSplitter({ firstClauseWords: FIRST_CLAUSE_WORDS });
  const firstClip = [...splitter.push(reply), ...splitter.flush()][0] ?? '';
  const firstClipTokens = (firstClip.match(/\S+\s*/g) ?? []).length;
  const floor = DELAYS.transcriptionMs + DELAYS.firstTokenMs + firstClipTokens * DELAYS.tokenMs + DELAYS.speechFirstByteMs;
  return { pipelined, sequential, floor };
}
