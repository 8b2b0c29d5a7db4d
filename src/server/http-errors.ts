/**
 * Errors the server answers with: one JSON shape for every 4xx and 5xx, `{ error: { message,
 * type, field? } }` (the OpenAI API's shape, so its SDKs show the message), thrown anywhere in a
 * route and turned into a response in one place (app.ts).
 */
import { errorMessage } from '../errors.js';
import { scrub } from '../secrets.js';

export type HttpErrorType = 'invalid_request' | 'authentication' | 'forbidden' | 'not_found' | 'too_large' | 'rate_limit' | 'upstream' | 'unavailable' | 'internal';

export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 422 | 429 | 500 | 502 | 503,
    message: string,
    readonly type: HttpErrorType,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get body(): { error: { message: string; type: HttpErrorType; field?: string } } {
    return { error: { message: this.message, type: this.type, ...(this.field === undefined ? {} : { field: this.field }) } };
  }
}

/**
 * A failure's message for a client. An upstream's error text is passed on (it says what was
 * wrong with the request), but it may quote the server's key or a password in one of its URLs:
 * those `secrets` are replaced first.
 */
export function clientMessage(error: unknown, secrets: readonly string[] = []): string {
  return scrub(errorMessage(error), secrets);
}
