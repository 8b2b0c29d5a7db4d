/**
 * POST /v1/talk with `Accept: text/event-stream`: the turn as server-sent events, in the shape
 * of /v1/ask's (`session`, `text`, `done`, `error`) plus `transcript` and one `audio` event per
 * sentence, sent as soon as that sentence is synthesized, while the model is still writing.
 *
 * The status is decided before the stream starts: until the transcript is known the answer is
 * a plain HTTP response, so audio with no words is the same 422 (and a failed transcription
 * the same error) as without streaming. A client that goes away stops the turn like an
 * interrupted `talk` answer: what arrived is stored, marked interrupted.
 */
import type { Context } from 'hono';
import { streamSSE, type SSEMessage } from 'hono/streaming';
import { z } from 'zod';
import type { Player } from '../audio/player.js';
import { Channel } from '../async/channel.js';
import { exchangeJson } from '../conversation/exchange.js';
import type { TurnEvents, TurnOutcome } from '../conversation/turn.js';
import { errorMessage } from '../errors.js';
import type { TurnTimings } from '../store/store.js';
import { HttpError } from './http-errors.js';
import { askResponse } from './schemas.js';
import { SentenceAudioPlayer } from './sentence-audio-player.js';

/** The payloads of the events, for the OpenAPI document (openapi.ts). */
export const talkEvents = {
  session: z.object({ session: z.string() }),
  transcript: z.object({ transcript: z.string().describe('What was heard: the question asked.') }),
  text: z.object({ text: z.string().describe('The next piece of the answer.') }),
  audio: z.object({
    index: z.number().int().describe('The sentence, from 0, in order.'),
    text: z.string().describe('The sentence as spoken.'),
    format: z.literal('wav'),
    base64: z.string().describe('The sentence alone as a WAV file.'),
  }),
  done: askResponse.extend({
    transcript: z.string(),
    timings: z.record(z.string(), z.number()).describe('Milliseconds from the upload to: transcript, firstToken, firstSentence, firstAudio, done (those reached).'),
    speechError: z.string().optional().describe('Why speaking stopped early; the answer is whole.'),
  }),
  error: z.object({ error: z.object({ message: z.string(), type: z.string() }), session: z.string() }),
};

type Payload<Name extends keyof typeof talkEvents> = z.infer<(typeof talkEvents)[Name]>;

const event = <Name extends keyof typeof talkEvents>(name: Name, data: Payload<Name>): SSEMessage => ({ event: name, data: JSON.stringify(data) });

/** The same refusal, streaming or not. */
export function noWordsHeard(): HttpError {
  return new HttpError(422, 'No words were recognised in the audio; nothing was asked.', 'invalid_request', 'file');
}

/** Runs the turn speaking through `player` and reporting to `events`. */
export type TalkTurn = (player: Player, events: TurnEvents) => Promise<TurnOutcome>;

export async function talkEventStream(context: Context, sessionId: string, controller: AbortController, turn: TalkTurn): Promise<Response> {
  // The turn pushes events as they happen; the stream writes them in order as the client takes them.
  const events = new Channel<SSEMessage>();
  const player = new SentenceAudioPlayer(async ({ index, text, wav }) => void events.push(event('audio', { index, text, format: 'wav', base64: wav.toString('base64') })));
  let markHeard!: () => void;
  const heard = new Promise<void>((resolve) => (markHeard = resolve));
  const outcome = turn(player, {
    onHeard: (transcript) => {
      events.push(event('transcript', { transcript }));
      markHeard();
    },
    onText: (text) => {
      player.text(text);
      events.push(event('text', { text }));
    },
  });

  // Before the transcript, a refusal or a failure is an HTTP status (thrown to the app's error handler).
  const early = await Promise.race([heard.then(() => undefined), outcome]);
  if (early?.kind === 'unheard') throw noWordsHeard();

  return streamSSE(context, async (stream) => {
    stream.onAbort(() => controller.abort());
    await stream.writeSSE(event('session', { session: sessionId }));
    const written = (async () => {
      for await (const message of events) await stream.writeSSE(message);
    })();
    try {
      events.push(finalEvent(sessionId, await outcome));
    } catch {
      // A failure after the stream started (the store gone): one error event, as for a model failure.
      events.push(event('error', { error: { message: 'Internal error.', type: 'internal' }, session: sessionId }));
    } finally {
      events.close();
    }
    await written;
  });
}

function finalEvent(sessionId: string, outcome: TurnOutcome): SSEMessage {
  // Heard once, a turn is answered (the status was decided before the stream began).
  if (outcome.kind !== 'answered') throw new Error('a heard turn was not answered');
  const { result, question, speechFailure, timings } = outcome;
  if (result.status === 'error') {
    return event('error', { error: { message: `${errorMessage(result.error)} The question was saved.`, type: 'upstream' }, session: sessionId });
  }
  return event('done', {
    ...exchangeJson(result),
    transcript: question,
    timings: sinceUpload(timings),
    ...(speechFailure === undefined ? {} : { speechError: errorMessage(speechFailure) }),
  });
}

/** The stage timings as milliseconds since the upload was received. */
function sinceUpload(timings: TurnTimings): Record<string, number> {
  const start = timings.speechEndedAt ?? 0;
  const stages = { transcript: timings.transcriptAt, firstToken: timings.firstTokenAt, firstSentence: timings.firstSentenceAt, firstAudio: timings.firstAudioAt, done: timings.audioDoneAt };
  return Object.fromEntries(Object.entries(stages).flatMap(([stage, at]) => (at === undefined ? [] : [[stage, at - start]])));
}
