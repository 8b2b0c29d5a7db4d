/**
 * One turn, whatever the front end (`ask`, `talk`, next `serve`): what the person said
 * (typed, or audio to transcribe) goes through the exchange (stored first, the cache, the
 * spend guard, the model), the reply is spoken when there is a voice, and the turn is
 * recorded with its timings and what it cost the machine. Front ends choose the input and
 * where the text goes; every failure path is handled here once.
 */
import { randomUUID } from 'node:crypto';
import type { ResponseCache } from '../cache/response-cache.js';
import type { ChatModel } from '../chat/chat-model.js';
import { isAbortError } from '../chat/chat-model.js';
import { AssistantError } from '../errors.js';
import { resourceUse } from '../observability/resource-use.js';
import type { Synthesizer, Transcriber } from '../speech/speech-models.js';
import type { Player } from '../audio/player.js';
import type { MessageStatus, NewTurn, Store, TurnTimings } from '../store/store.js';
import { ReplySpeaker } from '../voice/reply-speaker.js';
import type { VoiceSettings } from '../voice/speech-queue.js';
import { transcribeCached } from '../voice/transcribe.js';
import { runExchange, type ExchangeDependencies, type ExchangeRequest, type ExchangeResult } from './exchange.js';

/** What the person said: typed text, or audio (a file, or an utterance from the microphone) to transcribe. */
export type TurnInput =
  | { kind: 'text'; text: string; /** When it was entered (default: now). */ at?: number | undefined }
  | {
      kind: 'voice' | 'audio-file';
      /** A whole audio file (WAV for the microphone). */
      audio: Uint8Array;
      filename: string;
      /** The microphone's end of speech and its detection, for the timings. */
      speechEndedAt?: number | undefined;
      endpointAt?: number | undefined;
      /** Makes the question from the transcript (ask adds its instruction); default: the transcript. */
      question?: (transcript: string) => string;
    };

export interface Voice {
  synthesizer: Synthesizer;
  player: Player;
  settings: VoiceSettings;
}

export interface TurnDependencies {
  store: Pick<Store, 'appendMessage' | 'messages' | 'recordTurn'>;
  chatModel: ChatModel;
  cache: ResponseCache;
  guard?: ExchangeDependencies['guard'];
  /** Needed when the input is audio. */
  transcriber?: Transcriber | undefined;
  /** Undefined: the reply is not spoken. */
  voice?: Voice | undefined;
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
}

export interface TurnRequest extends Omit<ExchangeRequest, 'userText' | 'turnKey'> {
  sttModel: string;
  language: string | undefined;
  /**
   * What is stored of a spoken reply that was stopped: `heard`, what was spoken (talk: the
   * person heard only that); `printed`, the whole answer that arrived (ask printed it).
   */
  keep: 'heard' | 'printed';
  /** The turn's key in the request log; a speculative start (talk) has filed its calls under it already. Default: a new one. */
  turnKey?: string | undefined;
}

/** What the front end shows while the turn runs. */
export interface TurnEvents {
  /** A stage begins: the front end shows it (a spinner, the status line). */
  onStage?: (stage: 'transcribing' | 'thinking') => void | Promise<void>;
  /** The transcript of audio input, before it is asked. */
  onHeard?: (question: string) => void;
  /** Each piece of the answer as it arrives (the whole answer at once on a cache hit). */
  onText?: (text: string) => void;
  /** The first audio of the reply went to the player. */
  onFirstAudio?: () => void;
  /** The whole answer has arrived and its speech is still playing (ask shows that it is speaking). */
  onSpeakingRest?: () => void | Promise<void>;
}

export type TurnOutcome =
  /** Nothing was asked or stored: the audio held no words, or the turn was stopped while transcribing. */
  | { kind: 'unheard'; reason: 'no-words' | 'interrupted' }
  | {
      kind: 'answered';
      question: string;
      result: ExchangeResult;
      /** Why speaking failed, when it did (the answer itself is stored and unaffected). */
      speechFailure: unknown;
      timings: TurnTimings;
    };

export async function runTurn(dependencies: TurnDependencies, request: TurnRequest, input: TurnInput, events: TurnEvents, signal: AbortSignal): Promise<TurnOutcome> {
  const now = dependencies.now ?? Date.now;
  const turnKey = request.turnKey ?? randomUUID();
  const cpuAtStart = process.cpuUsage();
  const trace = { sessionId: request.sessionId, turnKey, ...(request.token === undefined ? {} : { token: request.token }) };
  const timings: TurnTimings =
    input.kind === 'text' ? { speechEndedAt: input.at ?? now() } : { speechEndedAt: input.speechEndedAt ?? now(), ...(input.endpointAt === undefined ? {} : { endpointAt: input.endpointAt }) };

  let question: string;
  if (input.kind === 'text') {
    // Typed words are known at once: the transcript stage takes no time.
    question = input.text;
    timings.transcriptAt = now();
  } else {
    const transcript = await transcribe(dependencies, request, input, events, signal, trace);
    if (transcript === undefined) return { kind: 'unheard', reason: signal.aborted ? 'interrupted' : 'no-words' };
    timings.transcriptAt = now();
    question = input.question ? input.question(transcript) : transcript;
    events.onHeard?.(question);
  }

  await events.onStage?.('thinking');
  const speaker = dependencies.voice
    ? new ReplySpeaker({
        ...dependencies.voice,
        cache: dependencies.cache,
        signal,
        now,
        trace,
        onFirstSentence: () => (timings.firstSentenceAt = now()),
        onFirstAudio: () => {
          timings.firstAudioAt = now();
          events.onFirstAudio?.();
        },
      })
    : undefined;
  let result: ExchangeResult;
  try {
    result = await runExchange(dependencies, { ...request, userText: question, turnKey }, {
      signal,
      onText: (text) => {
        timings.firstTokenAt ??= now();
        events.onText?.(text);
        speaker?.text(text);
      },
      ...(speaker
        ? {
            beforeStore: async (outcome) => {
              if (outcome.status === 'complete') await events.onSpeakingRest?.();
              return settle(speaker, outcome, request.keep);
            },
          }
        : {}),
    });
  } finally {
    // On every path (a failure, a signal, a store error) no player or download outlives the turn.
    await speaker?.stop();
  }
  if (speaker) timings.audioDoneAt = now();
  const turn: NewTurn = {
    sessionId: request.sessionId,
    turnKey,
    input: input.kind,
    status: result.status,
    timings,
    userMessageId: result.userMessageId,
    assistantMessageId: result.assistantMessageId,
    ...resourceUse(cpuAtStart),
  };
  await dependencies.store.recordTurn(turn);
  return { kind: 'answered', question, result, speechFailure: speaker?.failure, timings };
}

/** The transcript, or undefined when the audio held no words or the turn was stopped. */
async function transcribe(
  { transcriber, cache }: TurnDependencies,
  request: TurnRequest,
  input: Extract<TurnInput, { audio: Uint8Array }>,
  events: TurnEvents,
  signal: AbortSignal,
  trace: { sessionId: string; turnKey: string; token?: { id: string; name: string } },
): Promise<string | undefined> {
  if (!transcriber) throw new AssistantError('No transcriber is configured for spoken input.');
  await events.onStage?.('transcribing');
  try {
    const { text } = await transcribeCached(input.audio, input.filename, { transcriber, cache, model: request.sttModel, language: request.language, signal, trace });
    return text === '' || signal.aborted ? undefined : text;
  } catch (error) {
    if (signal.aborted && isAbortError(error)) return undefined;
    throw error;
  }
}

/** Waits for the reply to be spoken (or stopped) and says what to store of it. */
async function settle(speaker: ReplySpeaker, outcome: { answer: string; status: MessageStatus }, keep: TurnRequest['keep']): Promise<{ content: string; status: MessageStatus }> {
  const spoken = await speaker.settle(outcome);
  if (keep === 'heard') return spoken;
  // The answer was printed: what arrived is what is kept. A stop during speech still
  // interrupts: the answer is whole, the turn is not.
  return { content: outcome.answer, status: spoken.status === 'interrupted' ? 'interrupted' : outcome.status };
}
