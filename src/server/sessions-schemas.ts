/**
 * The schemas of the sessions routes (sessions-routes.ts): the path's session id and the query
 * strings, validated before the store is asked anything, and the responses, all written into
 * the OpenAPI document (openapi.ts).
 */
import { z } from 'zod';
import { SESSION_ID_PATTERN } from '../session-id.js';
import { NUL_MESSAGE, noNul } from './schemas.js';

export const sessionPath = z.object({
  id: z.string().regex(SESSION_ID_PATTERN, 'must be 1-64 letters, digits, ".", "_" or "-"').describe('A session id (one of yours).'),
});

const searchWords = z.string().trim().min(1, 'is empty').max(1000).refine(noNul, NUL_MESSAGE);

/** Unknown parameters are refused, so that a misspelt `?serach=` is an error, not a plain list. */
export const sessionsQuery = z
  .object({
    limit: z.coerce.number().int('is not a whole number').min(1, 'must be 1 to 200').max(200, 'must be 1 to 200').default(50).describe('At most this many sessions (or hits): 1 to 200, default 50.'),
    search: searchWords.optional().describe("Words to look for in your sessions' messages (all must match); the hits instead of the list."),
  })
  .strict();
export type SessionsQuery = z.infer<typeof sessionsQuery>;

/** GET /v1/sessions/{id}?search= keeps only the session's messages with those words; DELETE takes nothing. */
export const sessionQuery = z
  .object({ search: searchWords.optional().describe("Words to look for in this session's messages (all must match): only those messages are returned.") })
  .strict();
export const deleteSessionQuery = z.object({}).strict();

const session = z.object({
  id: z.string(),
  created_at: z.string().describe('ISO 8601'),
  updated_at: z.string().describe('ISO 8601: the latest message'),
  message_count: z.number(),
  preview: z.string().describe('The start of the first question.'),
});

export const sessionList = z.object({ sessions: z.array(session).describe('Newest activity first.') });
export type SessionList = z.infer<typeof sessionList>;

export const searchResults = z.object({
  hits: z
    .array(
      z.object({
        session: z.string(),
        message_id: z.number(),
        role: z.enum(['system', 'user', 'assistant']),
        created_at: z.string(),
        snippet: z.string().describe('An excerpt around the words found.'),
      }),
    )
    .describe('Newest first.'),
});
export type SearchResults = z.infer<typeof searchResults>;

export const sessionTranscript = session.extend({
  messages: z
    .array(
      z.object({
        id: z.number(),
        role: z.enum(['system', 'user', 'assistant']),
        content: z.string(),
        status: z.enum(['complete', 'interrupted', 'error']).describe('interrupted: the client went away; error: the model failed.'),
        model: z.string().nullable(),
        created_at: z.string(),
      }),
    )
    .describe('Oldest first.'),
});
export type SessionTranscript = z.infer<typeof sessionTranscript>;
