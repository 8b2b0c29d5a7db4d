import type { TraceContext } from '../observability/request-log.js';

/** The speech capabilities: speech-to-text and text-to-speech. */

export interface TranscriptionRequest {
  /** A whole audio file (WAV, MP3, ...). */
  audio: Uint8Array;
  /** Its name, whose extension tells the server the format. */
  filename: string;
  model: string;
  /** ISO-639-1 hint such as "en"; unset lets the model detect it. */
  language?: string | undefined;
}

export interface Transcriber {
  readonly baseURL: string;
  transcribe(request: TranscriptionRequest, options: { signal?: AbortSignal; trace?: TraceContext }): Promise<{ text: string }>;
}

export interface SpeechRequest {
  text: string;
  model: string;
  voice: string;
  /** 0.25 to 4; 1 is normal. */
  speed: number;
  /** We ask for WAV: every player can take it, and its PCM can be streamed. */
  format: 'wav';
}

export interface Synthesizer {
  readonly baseURL: string;
  /** Resolves when the audio starts arriving; yields it as it downloads. */
  synthesize(request: SpeechRequest, options: { signal?: AbortSignal; trace?: TraceContext }): Promise<AsyncIterable<Uint8Array>>;
}
