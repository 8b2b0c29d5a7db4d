/**
 * The OpenAI-compatible speech engine on a server that has no /audio/speech (Ollama, llama.cpp
 * server answer 404). When the person configured nothing about speech, the first 404 switches
 * to a local engine for good, said once; otherwise the error says what to do instead of only
 * "404 Not Found".
 */
import { AssistantError } from '../errors.js';
import type { SpeechRequest, Synthesizer } from './speech-models.js';

export const ESPEAK_INSTALL = 'Debian/Ubuntu: sudo apt install espeak-ng; macOS: brew install espeak-ng';
export const LOCAL_TTS_ADVICE = `speak with a local engine: --tts espeak (${ESPEAK_INSTALL})`;

export interface LocalFallback {
  /** Builds the local engine (called once, on the first 404). */
  make(): Synthesizer;
  /** Its name in the note: "espeak-ng". */
  name: string;
  /** Tells the person (stderr). */
  note(message: string): void;
}

export class NotFoundFallbackSynthesizer implements Synthesizer {
  private local: Synthesizer | undefined;

  /** `fallback` undefined: a 404 fails, with the advice. */
  constructor(
    private readonly remote: Synthesizer,
    private readonly fallback: LocalFallback | undefined,
  ) {}

  /** The engine in use: after the switch, cached speech is keyed by the local engine. */
  get baseURL(): string {
    return (this.local ?? this.remote).baseURL;
  }

  async synthesize(request: SpeechRequest, options: { signal?: AbortSignal }): Promise<AsyncIterable<Uint8Array>> {
    if (this.local) return this.local.synthesize(request, options);
    try {
      return await this.remote.synthesize(request, options);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      if (!this.fallback) throw new AssistantError(`${(error as Error).message} If this server has no text-to-speech (Ollama has none), ${LOCAL_TTS_ADVICE}.`, { cause: error });
      if (!this.local) {
        this.local = this.fallback.make();
        this.fallback.note(`Note: ${this.remote.baseURL} has no text-to-speech (it answered 404, as Ollama does); speaking with ${this.fallback.name} instead. --tts chooses the engine, --mute turns speech off.`);
      }
      return this.local.synthesize(request, options);
    }
  }
}

/** The adapter's error for an HTTP 404 (it keeps the SDK's error, with its status, as the cause). */
function isNotFound(error: unknown): boolean {
  return error instanceof AssistantError && (error.cause as { status?: unknown } | undefined)?.status === 404;
}
