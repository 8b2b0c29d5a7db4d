/**
 * Speculative start: while the person pauses (the detector heard a short silence), the
 * utterance so far is transcribed, the chat request is sent and the first clip of the reply
 * is synthesized, but nothing is stored, cached or played. When they speak again the
 * speculation is discarded (every request aborted). When the pause becomes the end of the
 * turn, the turn runs as usual (runTurn: the question stored first, then the answer) on
 * dependencies that hand it the work already done (`serve`), so playback starts at once.
 *
 * Its calls are filed in the request log under the turn key the committed turn will use,
 * marked speculative, so `assistant stats` can count speculations used and discarded.
 */
import { randomUUID } from 'node:crypto';
import { Channel } from '../async/channel.js';
import type { ChatEvent, ChatModel, ChatRequest } from '../chat/chat-model.js';
import { requestMessages } from '../conversation/exchange.js';
import type { TurnDependencies, Voice } from '../conversation/turn.js';
import type { TraceContext } from '../observability/request-log.js';
import type { SpeechRequest, Synthesizer, Transcriber, TranscriptionRequest } from '../speech/speech-models.js';
import type { Store } from '../store/store.js';
import { FIRST_CLAUSE_WORDS } from './reply-speaker.js';
import { linkedAbort, type LinkedAbort } from './linked-abort.js';
import { SentenceSplitter } from './sentence-splitter.js';

export interface SpeculationDependencies {
  transcriber: Transcriber;
  chatModel: ChatModel;
  store: Pick<Store, 'messages'>;
  guard?: { beforeModelCall(signal?: AbortSignal): Promise<void> } | undefined;
  /** Undefined when muted: no clip is synthesized. */
  voice: Voice | undefined;
}

/** The parts of the turn's request the speculative calls must match. */
export interface SpeculationRequest {
  sessionId: string;
  model: string;
  system: string | undefined;
  temperature: number | undefined;
  contextBudgetTokens: number;
  sttModel: string;
  language: string | undefined;
}

export interface SpeculationEvents {
  /** The transcript of the utterance so far (not called for an empty one). */
  onTranscript?: (text: string) => void;
}

interface SpeculativeChat {
  request: ChatRequest;
  events: Channel<ChatEvent>;
}

interface SpeculativeClip {
  text: string;
  audio: Channel<Uint8Array>;
  /** Its own stop: the speech queue may stop a clip (a failure, the end of the reply) without stopping the chat. */
  request: LinkedAbort;
}

export class Speculation {
  /** The committed turn's key: its speculative calls are filed under it. */
  readonly turnKey = randomUUID();
  private readonly cancel = new AbortController();
  private readonly trace: TraceContext;
  private transcript!: Promise<string | undefined>;
  private chat!: Promise<SpeculativeChat | undefined>;
  private clip: SpeculativeClip | undefined;
  private readonly pending = new Set<Promise<void>>();
  /** Lets go of the turn's signal (see serve). */
  private releaseTurn: (() => void) | undefined;
  private transcriptTaken = false;
  private chatTaken = false;
  private clipTaken = false;

  private constructor(
    private readonly dependencies: SpeculationDependencies,
    private readonly request: SpeculationRequest,
  ) {
    this.trace = { sessionId: request.sessionId, turnKey: this.turnKey, speculative: true };
  }

  /** Starts transcribing `audio` (a WAV of the utterance so far), then the rest. */
  static start(dependencies: SpeculationDependencies, request: SpeculationRequest, audio: Uint8Array, events: SpeculationEvents = {}): Speculation {
    const speculation = new Speculation(dependencies, request);
    let chatStarted!: (chat: SpeculativeChat | undefined) => void;
    speculation.chat = new Promise((resolve) => (chatStarted = resolve));
    speculation.transcript = speculation.transcribe(audio);
    speculation.track(
      speculation
        .transcript.then(async (text) => {
          if (text === undefined || speculation.cancel.signal.aborted) return;
          events.onTranscript?.(text);
          await speculation.answer(text, chatStarted);
        })
        .catch(() => {})
        .finally(() => chatStarted(undefined)),
    );
    return speculation;
  }

  /** The person spoke again, or the turn is over: aborts whatever was not taken and waits for it to end. */
  async discard(): Promise<void> {
    this.cancel.abort();
    this.releaseTurn?.();
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /**
   * The turn's dependencies, serving the speculative transcript, chat stream and first clip
   * where the turn asks for exactly what was speculated, the real thing otherwise. The turn's
   * signal (Ctrl-C) now stops the speculative requests too.
   */
  serve(dependencies: TurnDependencies, signal: AbortSignal): TurnDependencies {
    const stop = (): void => this.cancel.abort();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    this.releaseTurn = () => signal.removeEventListener('abort', stop);
    const { transcriber, chatModel, voice } = dependencies;
    return {
      ...dependencies,
      ...(transcriber ? { transcriber: this.servedTranscriber(transcriber) } : {}),
      chatModel: this.servedChatModel(chatModel),
      voice: voice ? { ...voice, synthesizer: this.servedSynthesizer(voice.synthesizer) } : undefined,
    };
  }

  /** Whether the turn took the speculative transcript (the speculation was used). */
  get used(): boolean {
    return this.transcriptTaken;
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** The transcript, or undefined (empty, failed, aborted): the turn then transcribes for itself. */
  private async transcribe(audio: Uint8Array): Promise<string | undefined> {
    try {
      const { text } = await this.dependencies.transcriber.transcribe(
        { audio, filename: 'speech.wav', model: this.request.sttModel, language: this.request.language },
        { signal: this.cancel.signal, trace: this.trace },
      );
      const cleaned = text.trim();
      return cleaned === '' || this.cancel.signal.aborted ? undefined : cleaned;
    } catch {
      return undefined;
    }
  }

  /** Sends the chat request the turn will send, and synthesizes the reply's first clip; failures go to the channels. */
  private async answer(question: string, chatStarted: (chat: SpeculativeChat | undefined) => void): Promise<void> {
    const { chatModel, store, guard } = this.dependencies;
    const signal = this.cancel.signal;
    // The limits apply to a speculative call as to any other; refused or waiting, the turn asks for itself.
    await guard?.beforeModelCall(signal);
    const earlier = await store.messages(this.request.sessionId);
    if (signal.aborted) return;
    const { model, system, temperature, contextBudgetTokens } = this.request;
    const request: ChatRequest = { model, temperature, stream: true, messages: requestMessages({ system, contextBudgetTokens, userText: question }, earlier) };
    const chat: SpeculativeChat = { request, events: new Channel() };
    chatStarted(chat);
    const splitter = new SentenceSplitter({ firstClauseWords: FIRST_CLAUSE_WORDS });
    try {
      for await (const event of chatModel.generate(request, { signal, trace: this.trace })) {
        // The clip is registered before the turn can see the text that completes it.
        if (event.type === 'text' && !this.clip) this.synthesizeFirst(splitter.push(event.text)[0]);
        chat.events.push(event);
      }
      if (!this.clip) this.synthesizeFirst(splitter.flush()[0]);
      chat.events.close();
    } catch (error) {
      chat.events.fail(error);
    }
  }

  private synthesizeFirst(text: string | undefined): void {
    const voice = this.dependencies.voice;
    if (text === undefined || !voice || this.cancel.signal.aborted) return;
    const clip: SpeculativeClip = { text, audio: new Channel(), request: linkedAbort(this.cancel.signal) };
    this.clip = clip;
    this.track(
      (async () => {
        try {
          const audio = await voice.synthesizer.synthesize({ text, format: 'wav', ...voice.settings }, { signal: clip.request.signal, trace: this.trace });
          for await (const chunk of audio) clip.audio.push(chunk);
          clip.audio.close();
        } catch (error) {
          clip.audio.fail(error);
        } finally {
          clip.request.release();
        }
      })(),
    );
  }

  private servedTranscriber(real: Transcriber): Transcriber {
    return {
      baseURL: real.baseURL,
      transcribe: async (request: TranscriptionRequest, options) => {
        const text = this.transcriptTaken || request.model !== this.request.sttModel ? undefined : await this.transcript;
        if (text === undefined || options.signal?.aborted) return real.transcribe(request, options);
        this.transcriptTaken = true;
        return { text };
      },
    };
  }

  private servedChatModel(real: ChatModel): ChatModel {
    const speculation = this;
    return {
      baseURL: real.baseURL,
      async *generate(request, options) {
        const chat = speculation.chatTaken ? undefined : await speculation.chat;
        if (!chat || !sameChatRequest(chat.request, request) || options.signal?.aborted) {
          yield* real.generate(request, options);
          return;
        }
        // The turn's signal aborts the speculative request (serve): the stream then ends with an AbortError, as a real one would.
        speculation.chatTaken = true;
        yield* chat.events;
      },
    };
  }

  private servedSynthesizer(real: Synthesizer): Synthesizer {
    return {
      // Read through: the engine can change mid-turn (a 404 falls back to espeak-ng), and the cache key follows it.
      get baseURL() {
        return real.baseURL;
      },
      synthesize: async (request: SpeechRequest, options) => {
        const clip = this.clip;
        const voice = this.dependencies.voice;
        if (clip && voice && !this.clipTaken && request.text === clip.text && request.format === 'wav' && sameVoice(request, voice)) {
          this.clipTaken = true;
          const stop = (): void => clip.request.abort();
          if (options.signal?.aborted) stop();
          options.signal?.addEventListener('abort', stop, { once: true });
          return clip.audio;
        }
        return real.synthesize(request, options);
      },
    };
  }
}

function sameChatRequest(a: ChatRequest, b: ChatRequest): boolean {
  return JSON.stringify([a.model, a.temperature ?? null, a.stream, a.messages]) === JSON.stringify([b.model, b.temperature ?? null, b.stream, b.messages]);
}

function sameVoice(request: SpeechRequest, voice: Voice): boolean {
  return request.model === voice.settings.model && request.voice === voice.settings.voice && request.speed === voice.settings.speed;
}
