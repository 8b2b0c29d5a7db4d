/** Transcriber and Synthesizer over the OpenAI audio API (and servers that speak it). */
import { checkConnection, loadOpenAI, type LoadedOpenAI, type OpenAIConnection } from '../chat/openai-client.js';
import { hostOf, translateOpenAIError } from '../chat/openai-errors.js';
import { CallTrace, errorClassOf, type TraceContext } from '../observability/request-log.js';
import { parseWavHeader, pcmSeconds } from '../audio/wav.js';
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
  async transcribe(request: TranscriptionRequest, { signal, trace }: { signal?: AbortSignal; trace?: TraceContext }): Promise<{ text: string }> {
    const { sdk, client } = await this.load();
    const call = new CallTrace(this.connection.requestLog, { endpoint: 'transcription', host: hostOf(this.baseURL), model: request.model, ...trace }, signal);
    try {
      const file = await sdk.toFile(request.audio, request.filename);
      const result = await call.run(() => client.audio.transcriptions.create(
        {
          file,
          model: request.model,
          ...(request.language ? { language: request.language } : {}),
          response_format: 'json',
        },
        signal ? { signal } : {},
      ));
      call.finish({ audioSeconds: wavSeconds(request.audio) });
      return { text: (result as { text?: string }).text ?? '' };
    } catch (error) {
      call.finish({ errorClass: errorClassOf(error) });
      throw translateOpenAIError(sdk, error, { ...this.connection, model: request.model }, 'transcription');
    }
  }
}

export class OpenAISynthesizer extends OpenAIAudioEndpoint implements Synthesizer {
  async synthesize(request: SpeechRequest, { signal, trace }: { signal?: AbortSignal; trace?: TraceContext }): Promise<AsyncIterable<Uint8Array>> {
    const { sdk, client } = await this.load();
    const call = new CallTrace(this.connection.requestLog, { endpoint: 'speech', host: hostOf(this.baseURL), model: request.model, ...trace }, signal);
    let response: Response;
    try {
      response = await call.run(() =>
        client.audio.speech
          .create(
            { model: request.model, voice: request.voice, input: request.text, response_format: request.format, speed: request.speed },
            signal ? { signal } : {},
          )
          .asResponse(),
      );
    } catch (error) {
      call.finish({ errorClass: errorClassOf(error), characters: request.text.length });
      throw translateOpenAIError(sdk, error, { ...this.connection, model: request.model }, 'speech');
    }
    const body = response.body;
    if (!body) throw new AssistantError(`The speech server at ${this.baseURL} sent no audio.`);
    const context = { ...this.connection, model: request.model };
    return (async function* () {
      try {
        for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) yield chunk;
        call.finish({ characters: request.text.length });
      } catch (error) {
        call.finish({ errorClass: errorClassOf(error), characters: request.text.length });
        throw translateOpenAIError(sdk, error, context, 'speech');
      }
    })();
  }
}

/** The length of a PCM WAV in seconds (to the hundredth); undefined for other formats. */
function wavSeconds(audio: Uint8Array): number | undefined {
  try {
    const header = parseWavHeader(audio);
    if (!header) return undefined;
    return Math.round(pcmSeconds(audio.byteLength - header.dataOffset, header.format) * 100) / 100;
  } catch {
    return undefined;
  }
}
