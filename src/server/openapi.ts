/** The OpenAPI document, generated from the schemas that validate the requests (schemas.ts). */
import { z } from 'zod';
import { gatewayPaths } from './gateway-openapi.js';
import { askRequest, askResponse, errorResponse, talkQuery } from './schemas.js';
import { sessionsPaths } from './sessions-openapi.js';
import { talkEvents } from './talk-stream.js';

const json = (schema: z.ZodType): unknown => ({ 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } });
const errors = Object.fromEntries(
  [
    ['400', 'The request is malformed: `error.field` names what is wrong.'],
    ['401', 'No token, or a token that is not valid or was revoked.'],
    ['413', 'The body is over the limit.'],
    ['429', "Over the token's requests per minute or tokens per day, or too many of its requests at once: wait `Retry-After` seconds."],
  ].map(([status, description]) => [status, { description, content: json(errorResponse) }]),
);

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
      '/v1/talk': {
        post: {
          summary: 'Speak: the audio in, the transcript, the answer and the spoken answer out (one WAV, or server-sent events sentence by sentence)',
          parameters: Object.entries((z.toJSONSchema(talkQuery) as { properties: Record<string, unknown> }).properties).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
          requestBody: {
            required: true,
            content: {
              'audio/wav': { schema: { type: 'string', format: 'binary' } },
              'audio/mpeg': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } },
            },
          },
          responses: {
            '200': {
              description:
                'JSON {session, transcript, answer, model, cached, status, audio: {format, base64} | null, speechError?}; with Accept: audio/wav the WAV (X-Session, X-Transcript headers); ' +
                'with Accept: text/event-stream events in this order: `session`, `transcript`, `text` per piece of the answer and, interleaved as each sentence is synthesized, `audio` per sentence, then `done` or `error` (payloads in x-events). ' +
                'A refusal before the transcript (no words: 422) is a status, not an event; a client that goes away stops the answer, which is stored marked interrupted.',
              content: {
                'application/json': { schema: { type: 'object' } },
                'audio/wav': { schema: { type: 'string', format: 'binary' } },
                'text/event-stream': { schema: { type: 'string' }, 'x-events': Object.fromEntries(Object.entries(talkEvents).map(([name, schema]) => [name, z.toJSONSchema(schema)])) },
              },
            },
            '415': { description: 'Not audio.', content: json(errorResponse) },
            '422': { description: 'No words were recognised.', content: json(errorResponse) },
            '503': { description: 'No speech configured on this server.', content: json(errorResponse) },
            ...errors,
          },
        },
      },
      ...sessionsPaths(json, errors),
      ...gatewayPaths(json, errorResponse, errors),
      '/healthz': { get: { summary: 'The process is alive', security: [], responses: { '200': { description: 'ok' } } } },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics of this process (requests by route and status, latency per route, cache hits, upstream errors); any valid token',
          responses: { '200': { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } }, '401': errors['401'] },
        },
      },
      '/readyz': { get: { summary: 'The store is reachable and migrated', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
    },
  };
}
