/** The sessions routes in the OpenAPI document (openapi.ts), from the schemas that validate them (sessions-schemas.ts). */
import { z } from 'zod';
import { errorResponse } from './schemas.js';
import { searchResults, sessionList, sessionPath, sessionQuery, sessionsQuery, sessionTranscript } from './sessions-schemas.js';

type Content = (schema: z.ZodType) => unknown;

/** An object schema's fields as OpenAPI parameters of one place (the path or the query). */
function parameters(schema: z.ZodObject, place: 'path' | 'query'): unknown[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { description, ...fieldSchema } = z.toJSONSchema(field as z.ZodType, { io: 'input' });
    return { name, in: place, required: place === 'path' || !(field as z.ZodType).safeParse(undefined).success, description, schema: fieldSchema };
  });
}

export function sessionsPaths(json: Content, errors: Record<string, unknown>): Record<string, unknown> {
  const notFound = { '404': { description: 'No such session among yours (another token\'s session is "not found" too, never "forbidden").', content: json(errorResponse) } };
  return {
    '/v1/sessions': {
      get: {
        summary: "Your sessions, newest activity first; with ?search=, the messages of your sessions that hold every word instead (as `assistant history --search`)",
        parameters: parameters(sessionsQuery, 'query'),
        responses: {
          '200': { description: '`sessions` without ?search=, `hits` with it.', content: json(z.union([sessionList, searchResults])) },
          ...errors,
        },
      },
    },
    '/v1/sessions/{id}': {
      get: {
        summary: 'One of your sessions with its messages; with ?search=, only the messages with those words',
        parameters: [...parameters(sessionPath, 'path'), ...parameters(sessionQuery, 'query')],
        responses: { '200': { description: 'The session and its messages (those with the words, with ?search=).', content: json(sessionTranscript) }, ...notFound, ...errors },
      },
      delete: {
        summary: 'Deletes one of your sessions: its messages, turns and cached answers go too',
        parameters: parameters(sessionPath, 'path'),
        responses: { '204': { description: 'Deleted.' }, ...notFound, ...errors },
      },
    },
  };
}
