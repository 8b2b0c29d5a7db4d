/**
 * The API's schemas: each validates a request body, types its handler, and is written into
 * the OpenAPI document (openapi.ts), so the three cannot drift apart. Everything from a
 * request is hostile until it passes one of these.
 */
import { z } from 'zod';
import { SESSION_ID_PATTERN } from '../session-id.js';
import { HttpError } from './http-errors.js';

/**
 * Text that is stored: no NUL, which a PostgreSQL text column cannot hold (the insert would
 * fail after the request was accepted).
 */
export const noNul = (text: string): boolean => !text.includes('\u0000');
export const NUL_MESSAGE = 'contains a NUL character';

/** Model names reach the upstream server and our logs: plain names only. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

export const askRequest = z
  .object({
    text: z.string().min(1, 'is empty').refine(noNul, NUL_MESSAGE).describe('What to ask.'),
    session: z.string().regex(SESSION_ID_PATTERN, 'must be 1-64 letters, digits, ".", "_" or "-"').optional().describe('Continue this session (one of yours); a new one when left out.'),
    system: z.string().max(100_000).refine(noNul, NUL_MESSAGE).optional().describe('A system prompt for this question.'),
    model: z.string().regex(MODEL_NAME, 'is not a model name').optional().describe("The chat model; the server's default when left out."),
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();
export type AskRequest = z.infer<typeof askRequest>;

/** POST /v1/talk takes the audio as its body; the rest in the query. */
export const talkQuery = z
  .object({
    session: z.string().regex(SESSION_ID_PATTERN, 'must be 1-64 letters, digits, ".", "_" or "-"').optional().describe('Continue this session (one of yours).'),
    model: z.string().regex(MODEL_NAME, 'is not a model name').optional(),
  })
  .strict();

const usage = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullable();

export const askResponse = z.object({
  session: z.string(),
  answer: z.string(),
  model: z.string(),
  usage,
  cached: z.boolean(),
  status: z.enum(['complete', 'interrupted', 'error']),
});
export type AskResponse = z.infer<typeof askResponse>;

export const errorResponse = z.object({
  error: z.object({ message: z.string(), type: z.string(), field: z.string().optional() }),
});

/** The body as the schema says, or a 400 naming the first field that is wrong and why. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
  const message =
    issue.code === 'unrecognized_keys'
      ? `Unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}.`
      : `${field || 'The body'}: ${missing ? 'is required' : issue.message}.`;
  throw new HttpError(400, message, 'invalid_request', field || undefined);
}
