/** The OpenAPI document, generated from the schemas that validate the requests (schemas.ts). */
import { z } from 'zod';
import { chatCompletionRequest } from './gateway.js';
import { speechRequest, transcriptionFields } from './gateway-audio.js';
import { askRequest, askResponse, errorResponse } from './schemas.js';

const json = (schema: z.ZodType): unknown => ({ 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } });
const errors = Object.fromEntries(
  [
    ['400', 'The request is malformed: `error.field` names what is wrong.'],
    ['401', 'No token, or a token that is not valid or was revoked.'],
    ['413', 'The body is over the limit.'],
  ].map(([status, description]) => [status, { description, content: json(errorResponse) }]),
);

/** The upload's text fields from their schema, and the file beside them. */
const transcriptionForm = z.toJSONSchema(transcriptionFields, { io: 'input' }) as { properties: object };

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'assistant', version, description: 'The assistant as a service: ask, with history per personal token.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/ask': {
        post: {
          summary: 'Ask a question; the answer as JSON, or as server-sent events with Accept: text/event-stream',
          requestBody: { required: true, content: json(askRequest) },
          responses: {
            '200': {
              description: 'The answer (JSON), or events: `session` {session}, `text` {text} per piece, then `done` (the JSON answer) or `error`.',
              content: { ...(json(askResponse) as object), 'text/event-stream': { schema: { type: 'string' } } },
            },
            '502': { description: 'The model failed; the question was stored.', content: json(errorResponse) },
            ...errors,
          },
        },
      },
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
      '/healthz': { get: { summary: 'The process is alive', security: [], responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { summary: 'The store is reachable and migrated', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
    },
  };
}
