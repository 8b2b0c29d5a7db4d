/**
 * The gateway's paths in the OpenAPI document (openapi.ts), from the schemas that validate
 * its requests (gateway.ts, gateway-audio.ts).
 */
import { z } from 'zod';
import { chatCompletionRequest } from './gateway.js';
import { speechRequest, transcriptionFields } from './gateway-audio.js';

/** The upload's text fields from their schema, and the file beside them. */
const transcriptionForm = z.toJSONSchema(transcriptionFields, { io: 'input' }) as { properties: object };

/** `json` and `errors` are the document's own: a JSON body of a schema, and the 4xx every route shares. */
export function gatewayPaths(json: (schema: z.ZodType) => unknown, errorResponse: z.ZodType, errors: Record<string, unknown>): Record<string, unknown> {
  return {
    '/v1/models': {
      get: { summary: "OpenAI-compatible: the upstream's models, asked with the server's key", responses: { '200': { description: "The upstream's answer, as it came." }, '502': { description: 'The upstream failed.', content: json(errorResponse) }, ...errors } },
    },
    '/v1/chat/completions': {
      post: {
        summary: "OpenAI-compatible: a chat completion forwarded upstream with the server's key; a deterministic one (temperature 0, no tools) may come from the shared cache",
        requestBody: { required: true, content: json(chatCompletionRequest) },
        responses: {
          '200': { description: "The upstream's chat.completion (JSON), or its server-sent events passed through as they arrive (stream: true). `x-assistant-cache: hit` when served from the cache.", content: { 'application/json': { schema: { type: 'object' } }, 'text/event-stream': { schema: { type: 'string' } } } },
          '502': { description: "The upstream could not be reached, or refused the server's key.", content: json(errorResponse) },
          '504': { description: 'The upstream was silent for longer than the TIMEOUT setting.', content: json(errorResponse) },
          ...errors,
        },
      },
    },
    '/v1/audio/speech': {
      post: {
        summary: "OpenAI-compatible: speech for a text, made upstream with the server's key and streamed back as it is made",
        requestBody: { required: true, content: json(speechRequest) },
        responses: { '200': { description: 'The audio, in the format asked.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, '502': { description: 'The upstream failed.', content: json(errorResponse) }, ...errors },
      },
    },
    '/v1/audio/transcriptions': {
      post: {
        summary: "OpenAI-compatible: the transcript of an audio upload (multipart, up to 25 MB; flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, webm), made upstream with the server's key",
        requestBody: {
          required: true,
          content: { 'multipart/form-data': { schema: { ...transcriptionForm, required: ['model', 'file'], properties: { ...transcriptionForm.properties, file: { type: 'string', format: 'binary' } } } } },
        },
        responses: { '200': { description: "The upstream's transcript, in the format asked." }, '415': { description: 'The file is not in an accepted audio format.', content: json(errorResponse) }, '502': { description: 'The upstream failed.', content: json(errorResponse) }, ...errors },
      },
    },
  };
}
