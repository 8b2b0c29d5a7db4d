/**
 * The gateway's audio routes: /v1/audio/speech (JSON in, audio streamed back as it is made)
 * and /v1/audio/transcriptions (a multipart upload of up to 25 MB, OpenAI's own limit, in one
 * of the formats it accepts), forwarded upstream with the server's key like the chat route.
 * The upload is read and checked here, then sent on as a new form: nothing the client sent
 * reaches upstream unchecked except the text fields OpenAI defines and we do not.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { MAX_AUDIO_BYTES } from '../input/audio-input.js';
import type { Principal } from './auth.js';
import { forwardStream, type GatewayContext } from './gateway-forward.js';
import type { UpstreamDependencies } from './gateway-upstream.js';
import { HttpError } from './http-errors.js';
import { jsonBody, MODEL_NAME, parseBody } from './schemas.js';

/** The file types OpenAI's transcription endpoint accepts, by file name. */
const AUDIO_EXTENSIONS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];

export const speechRequest = z.looseObject({
  model: z.string().regex(MODEL_NAME, 'is not a model name'),
  input: z.string().min(1, 'is empty').max(4096, 'is over 4096 characters'),
  voice: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a voice name'),
  response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).optional(),
  speed: z.number().min(0.25).max(4).optional(),
});

/** The form fields checked before an upload goes on (the file is checked by hand: zod sees only text). */
export const transcriptionFields = z.looseObject({
  model: z.string().regex(MODEL_NAME, 'is not a model name'),
  language: z.string().regex(/^[a-z]{2,3}$/, 'is not an ISO-639-1 language code').optional(),
  response_format: z.enum(['json', 'text', 'srt', 'verbose_json', 'vtt']).optional(),
});

type Routes = Hono<{ Variables: { principal: Principal } }>;

export function addAudioRoutes(routes: Routes, dependencies: UpstreamDependencies): void {
  routes.post('/audio/speech', async (context) => {
    const body = parseBody(speechRequest, await jsonBody(context.req));
    const request = { endpoint: 'speech', path: '/audio/speech', method: 'POST', body: JSON.stringify(body), contentType: 'application/json', model: body.model } as const;
    return forwardStream(dependencies, context, request, { observe: () => {}, outcome: () => ({ characters: body.input.length }), end: async () => {} });
  });
  // The body limit for audio (MAX_AUDIO_BYTES and a form's framing) is app.ts's.
  routes.post('/audio/transcriptions', (context) => transcription(dependencies, context));
}

async function transcription(dependencies: UpstreamDependencies, context: GatewayContext): Promise<Response> {
  const form = await context.req.formData().catch((error: unknown) => {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'The body is not multipart/form-data.', 'invalid_request');
  });
  const fields: Record<string, string> = {};
  for (const [name, value] of form.entries()) if (typeof value === 'string') fields[name] = value;
  const checked = parseBody(transcriptionFields, fields);
  const file = form.get('file');
  if (file === null || typeof file === 'string') throw new HttpError(400, 'file: an audio file is needed.', 'invalid_request', 'file');
  if (file.size === 0) throw new HttpError(400, 'file: is empty.', 'invalid_request', 'file');
  if (file.size > MAX_AUDIO_BYTES) throw new HttpError(413, `The upload is over the ${MAX_AUDIO_BYTES / 1024 / 1024} MB limit.`, 'too_large', 'file');
  const extension = /\.([A-Za-z0-9]+)$/.exec(file.name)?.[1]?.toLowerCase();
  if (extension === undefined || !AUDIO_EXTENSIONS.includes(extension)) {
    throw new HttpError(415, `file: the name must end in one of ${AUDIO_EXTENSIONS.map((name) => `.${name}`).join(', ')}.`, 'invalid_request', 'file');
  }
  const upstreamForm = new FormData();
  for (const [name, value] of Object.entries(checked)) upstreamForm.append(name, String(value));
  upstreamForm.append('file', file, `audio.${extension}`);
  return forwardStream(dependencies, context, { endpoint: 'transcription', path: '/audio/transcriptions', method: 'POST', body: upstreamForm, model: checked.model });
}
