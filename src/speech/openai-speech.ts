/** Transcriber and Synthesizer over the OpenAI audio API (and servers that speak it). */
import { checkConnection, loadOpenAI, type LoadedOpenAI, type OpenAIConnection } from '../chat/openai-client.js';
import { translateOpenAIError } from '../chat/openai-errors.js';
import { AssistantError } from '../errors.js';
import type { SpeechRequest, Synthesizer, Transcriber, TranscriptionRequest } from './speech-models.js';

abstract class OpenAIAudioEndpoint {
  private loaded: Promise<LoadedOpenAI> | undefined;

  constructor(protected readonly connection: OpenAIConnection) {
    checkConnection(connection);
  }

  get baseURL(): string {
    return this.connection.baseURL;
  }

  protected load(): Promise<LoadedOpenAI> {
    this.loaded ??= loadOpenAI(this.connection);
    return this.loaded;
  }
}

export class OpenAITranscriber extends OpenAIAudioEndpoint implements Transcriber {
  async transcribe(request: TranscriptionRequest, { signal }: { signal?: AbortSignal }): Promise<{ text: string }> {
    const { sdk, client } = await this.load();
    try {
      const result = await client.audio.transcriptions.create(
        {
          file: await sdk.toFile(request.audio, request.filename),
          model: request.model,
          ...(request.language ? { language: request.language } : {}),
          response_format: 'json',
        },
        signal ? { signal } : {},
      );
      return { text: (result as { text?: string }).text ?? '' };
    } catch (error) {
      throw translateOpenAIError(sdk, error, { ...this.connection, model: request.model }, 'transcription');
    }
  }
}

export class OpenAISynthesizer extends OpenAIAudioEndpoint implements Synthesizer {
  async synthesize(request: SpeechRequest, { signal }: { signal?: AbortSignal }): Promise<AsyncIterable<Uint8Array>> {
    const { sdk, client } = await this.load();
    let response: Response;
    try {
      response = await client.audio.speech
        .create(
          { model: request.model, voice: request.voice, input: request.text, response_format: request.format, speed: request.speed },
          signal ? { signal } : {},
        )
        .asResponse();
    } catch (error) {
      throw translateOpenAIError(sdk, error, { ...this.connection, model: request.model }, 'speech');
    }
    const body = response.body;
    if (!body) throw new AssistantError(`The speech server at ${this.baseURL} sent no audio.`);
    const context = { ...this.connection, model: request.model };
    return (async function* () {
      try {
        for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) yield chunk;
      } catch (error) {
        throw translateOpenAIError(sdk, error, context, 'speech');
      }
    })();
  }
}
