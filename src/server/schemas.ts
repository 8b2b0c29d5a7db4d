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

/**
 * JSON is refused nested deeper than this: what passes the schemas is written on (to the
 * upstream, into the cache key) by JSON.stringify, which recurses once per level, so a body of
 * 100,000 brackets overflowed the stack. OpenAI's deepest bodies (tool schemas) are far shallower.
 */
export const MAX_JSON_DEPTH = 100;

/** The request's body as JSON: a 400 when it is not JSON, or is nested deeper than MAX_JSON_DEPTH. */
export async function jsonBody(request: { json(): Promise<unknown> }): Promise<unknown> {
  const body = await request.json().catch(() => {
    throw new HttpError(400, 'The body is not JSON.', 'invalid_request');
  });
  if (nestedDeeperThan(body, MAX_JSON_DEPTH)) throw new HttpError(400, `The body is nested deeper than ${MAX_JSON_DEPTH} levels.`, 'invalid_request');
  return body;
}

/** Walked with a stack of its own, not by recursion, so the check cannot overflow either. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, depth] = next;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}
