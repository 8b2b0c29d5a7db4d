/**
 * Errors the server answers with: one JSON shape for every 4xx and 5xx, `{ error: { message,
 * type, field? } }` (the OpenAI API's shape, so its SDKs show the message), thrown anywhere in a
 * route and turned into a response in one place (app.ts).
 */
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
