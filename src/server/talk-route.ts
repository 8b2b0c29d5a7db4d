/**
 * POST /v1/talk: what `talk` does for one utterance, over HTTP. The body is the audio (raw,
 * with its Content-Type, or multipart/form-data with a `file` field); the answer comes back
 * as JSON with the transcript and the spoken answer as one WAV (base64), with
 * `Accept: audio/wav` as the WAV itself (transcript and session in headers), or with
 * `Accept: text/event-stream` as events, the audio sentence by sentence (talk-stream.ts).
 */
import type { Context } from 'hono';
import { answerCacheUse } from '../cache/response-cache.js';
import { runTurn } from '../conversation/turn.js';
import { errorMessage } from '../errors.js';
import { MAX_AUDIO_BYTES } from '../input/audio-input.js';
import { newSessionId } from '../session-id.js';
import type { Synthesizer, Transcriber } from '../speech/speech-models.js';
import type { VoiceSettings } from '../voice/speech-queue.js';
import type { AskDependencies, AskSettings } from './ask-route.js';
import { ownerOf, type Principal } from './auth.js';
import { CollectingPlayer } from './collecting-player.js';
import { HttpError } from './http-errors.js';
import { sessionOf } from './session-access.js';
import { parseBody, talkQuery } from './schemas.js';
import { noWordsHeard, talkEventStream, type TalkTurn } from './talk-stream.js';

export interface TalkDependencies extends AskDependencies {
  /** Undefined: the server has no speech configured (503). */
  speech?: { transcriber: Transcriber; synthesizer: Synthesizer } | undefined;
}

/** The speech models and voice: the server's configuration. */
export interface SpeechSettings {
  sttModel: string;
  language: string | undefined;
  voice: VoiceSettings;
}

/** Extensions the transcription endpoints know, by Content-Type. */
const EXTENSIONS: Record<string, string> = {
  'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav', 'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/mp4': 'm4a',
  'audio/m4a': 'm4a', 'audio/webm': 'webm', 'audio/ogg': 'ogg', 'audio/flac': 'flac',
};

type TalkContext = Context<{ Variables: { principal: Principal } }>;

export function talkRoute(dependencies: TalkDependencies, settings: AskSettings & { speech?: SpeechSettings | undefined }) {
  return async (context: TalkContext): Promise<Response> => {
    const speech = dependencies.speech;
    const speechSettings = settings.speech;
    if (!speech || !speechSettings) throw new HttpError(503, 'This server has no speech configured.', 'unavailable');
    const query = parseBody(talkQuery, context.req.query());
    const { audio, filename } = await upload(context);
    const principal = context.get('principal');
    const sessionId = query.session === undefined ? newSessionId() : await sessionOf(dependencies.store, principal, query.session);
    const controller = new AbortController();
    // The client went away: the turn stops, and what arrived is stored as interrupted.
    context.req.raw.signal.addEventListener('abort', () => controller.abort(), { once: true });
    const temperature = settings.temperature;
    const turn: TalkTurn = (player, events) =>
      runTurn(
        { ...dependencies, transcriber: speech.transcriber, voice: { synthesizer: speech.synthesizer, player, settings: speechSettings.voice } },
        {
          sessionId, model: query.model ?? settings.model, system: settings.system, temperature, stream: true, contextBudgetTokens: settings.contextTokens,
          answerCache: answerCacheUse(undefined, settings.cacheAnswers, temperature), owner: ownerOf(principal), token: { id: principal.tokenId, name: principal.name }, sttModel: speechSettings.sttModel, language: speechSettings.language, keep: 'printed',
        },
        { kind: 'audio-file', audio, filename },
        events,
        controller.signal,
      );
    if ((context.req.header('accept') ?? '').includes('text/event-stream')) return talkEventStream(context, sessionId, controller, turn);

    const player = new CollectingPlayer();
    const outcome = await turn(player, {});
    if (outcome.kind === 'unheard') throw noWordsHeard();
    const { result, question, speechFailure } = outcome;
    if (result.status === 'error') throw new HttpError(502, `${errorMessage(result.error)} The question was saved in session ${sessionId}.`, 'upstream');
    const wav = speechFailure === undefined ? player.wav() : undefined;
    if ((context.req.header('accept') ?? '').includes('audio/wav')) {
      if (!wav) throw new HttpError(502, `Speaking failed: ${errorMessage(speechFailure)} The answer was saved in session ${sessionId}.`, 'upstream');
      return context.body(new Uint8Array(wav), 200, { 'content-type': 'audio/wav', 'x-session': sessionId, 'x-transcript': encodeURIComponent(question) });
    }
    return context.json({
      session: sessionId,
      transcript: question,
      answer: result.answer,
      model: result.model,
      cached: result.cached,
      status: result.status,
      audio: wav ? { format: 'wav', base64: wav.toString('base64') } : null,
      ...(speechFailure === undefined ? {} : { speechError: errorMessage(speechFailure) }),
    });
  };
}

/** The audio of the request: a raw body with an audio Content-Type, or the `file` field of a form. */
async function upload(context: TalkContext): Promise<{ audio: Uint8Array; filename: string }> {
  const type = (context.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  let audio: Uint8Array;
  let filename: string;
  if (type === 'multipart/form-data') {
    const file = (await context.req.parseBody())['file'];
    if (!(file instanceof File)) throw new HttpError(400, 'The form has no "file" field with the audio.', 'invalid_request', 'file');
    audio = new Uint8Array(await file.arrayBuffer());
    filename = /^[\w.-]{1,100}$/.test(file.name) ? file.name : 'speech.wav';
  } else if (EXTENSIONS[type] !== undefined || type === 'application/octet-stream') {
    audio = new Uint8Array(await context.req.arrayBuffer());
    filename = `speech.${EXTENSIONS[type] ?? 'wav'}`;
  } else {
    throw new HttpError(415, `Send the audio as audio/wav, audio/mpeg, audio/webm... or multipart/form-data, not "${type || 'nothing'}".`, 'invalid_request');
  }
  if (audio.byteLength === 0) throw new HttpError(400, 'The audio is empty.', 'invalid_request', 'file');
  if (audio.byteLength > MAX_AUDIO_BYTES) throw new HttpError(413, 'The audio is over the 25 MB upload limit.', 'too_large', 'file');
  return { audio, filename };
}
