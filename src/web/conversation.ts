/**
 * One turn at a time, as `talk` does it: a spoken turn is one transcription upload, then
 * /v1/ask streamed; the answer shows as it arrives and each sentence is spoken as soon as it
 * is complete (the same sentence splitter as talk's). stop() ends the turn wherever it is:
 * the request is aborted (the server stores what arrived as interrupted) and speech stops.
 */
import { SentenceSplitter } from '../voice/sentence-splitter.js';
import { ApiError, type Api, type SpeechSettings } from './api.js';
import { Speaker } from './speaker.js';
import type { TranscriptView } from './transcript-view.js';

export interface ConversationEvents {
  /** The turn's state changed: a short line for the status area, and whether a turn is running. */
  status(text: string, busy: boolean): void;
  error(error: unknown): void;
  /** The server named (or created) the session this turn went to. */
  session(id: string): void;
  /** A turn ended with its answer stored (or the question at least). */
  stored(): void;
}

export class Conversation {
  session: string | undefined;
  private turn: AbortController | undefined;
  private readonly speaker: Speaker | undefined;

  constructor(
    private readonly api: Api,
    private readonly view: TranscriptView,
    private readonly speech: SpeechSettings | null,
    audio: HTMLAudioElement,
    private readonly events: ConversationEvents,
  ) {
    if (speech) this.speaker = new Speaker(audio, (text, signal) => api.speech(text, speech, signal), (error) => events.error(error));
  }

  get busy(): boolean {
    return this.turn !== undefined || (this.speaker?.busy ?? false);
  }

  get canSpeak(): boolean {
    return this.speech !== null;
  }

  async typed(text: string): Promise<void> {
    const signal = this.begin();
    this.view.user(text);
    await this.answer(text, signal);
  }

  /** A spoken turn: the recording is transcribed, then asked. */
  async spoken(samples: Int16Array, sampleRate: number): Promise<void> {
    if (!this.speech) return;
    const signal = this.begin();
    this.events.status('Transcribing…', true);
    let text: string;
    try {
      text = await this.api.transcribe(samples, sampleRate, this.speech, signal);
    } catch (error) {
      this.end(signal, error);
      return;
    }
    if (signal.aborted) return;
    if (text === '') {
      this.end(signal);
      this.events.status('Heard nothing: try again, a little closer to the microphone.', false);
      return;
    }
    this.view.user(text);
    await this.answer(text, signal);
  }

  /** Stops the turn in progress and its speech; nothing happens when there is none. */
  stop(): void {
    this.turn?.abort();
    this.turn = undefined;
    this.speaker?.stop();
    this.events.status('', false);
  }

  private begin(): AbortSignal {
    this.stop();
    const controller = new AbortController();
    this.turn = controller;
    return controller.signal;
  }

  private async answer(text: string, signal: AbortSignal): Promise<void> {
    this.events.status('Thinking…', true);
    const bubble = this.view.assistant();
    const splitter = new SentenceSplitter();
    const say = (sentences: string[]): void => {
      for (const sentence of sentences) if (sentence.trim() !== '') this.speaker?.say(sentence);
    };
    // Stopped while the answer streams: it is cut short (stopping only its speech is not).
    const cut = (): void => bubble.interrupted();
    signal.addEventListener('abort', cut, { once: true });
    try {
      for await (const event of this.api.ask(text, this.session, signal)) {
        if (event.type === 'session') {
          this.session = event.session;
          this.events.session(event.session);
        } else if (event.type === 'text') {
          this.events.status('Answering…', true);
          bubble.append(event.text);
          say(splitter.push(event.text));
        } else if (event.type === 'error') {
          throw new ApiError(event.message, 'server');
        }
      }
      signal.removeEventListener('abort', cut);
      say(splitter.flush());
    } catch (error) {
      this.end(signal, error);
      return;
    }
    if (this.speaker?.busy) {
      this.events.status('Speaking… (Esc stops)', true);
      await this.speaker.finished();
    }
    this.end(signal);
  }

  /** The turn is over (unless a newer one replaced it). */
  private end(signal: AbortSignal, error?: unknown): void {
    const aborted = signal.aborted || (error instanceof DOMException && error.name === 'AbortError');
    if (this.turn?.signal === signal) this.turn = undefined;
    if (error !== undefined && !aborted) this.events.error(error);
    if (!aborted) this.events.status('', false);
    this.events.stored();
  }
}
