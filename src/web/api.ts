/**
 * The page's one door to the server: every call to /v1 carries the token from session
 * storage in its Authorization header (never in a URL), and every failure becomes an
 * ApiError whose message a person can act on (token rejected, rate limit with when to
 * retry, server unreachable). Aborted calls stay AbortErrors, which callers ignore.
 */
import { serverSentEvents } from './sse.js';
import { encodeWav } from './wav.js';

/** The server's speech models and voice, from the page's <meta name="assistant-speech">. */
export interface SpeechSettings {
  sttModel: string;
  language: string | null;
  ttsModel: string;
  voice: string;
  speed: number;
}

export type ApiErrorKind = 'token' | 'rate-limit' | 'unreachable' | 'microphone' | 'server';

export class ApiError extends Error {
  constructor(message: string, readonly kind: ApiErrorKind) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface SessionSummary { id: string; updated_at: string; message_count: number; preview: string }
export interface SearchHit { session: string; snippet: string }
export interface SessionMessage { role: string; content: string; status: string }

export type AskEvent = { type: 'session'; session: string } | { type: 'text'; text: string } | { type: 'done' } | { type: 'error'; message: string };

export class Api {
  constructor(private readonly token: () => string | undefined) {}

  async sessions(search?: string): Promise<{ sessions?: SessionSummary[]; hits?: SearchHit[] }> {
    const query = search ? `?search=${encodeURIComponent(search)}` : '';
    return (await this.call(`/v1/sessions${query}`, {})).json() as Promise<{ sessions?: SessionSummary[]; hits?: SearchHit[] }>;
  }

  async session(id: string): Promise<{ id: string; messages: SessionMessage[] }> {
    return (await this.call(`/v1/sessions/${encodeURIComponent(id)}`, {})).json() as Promise<{ id: string; messages: SessionMessage[] }>;
  }

  async deleteSession(id: string): Promise<void> {
    await this.call(`/v1/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** One turn of /v1/ask, streamed: each event as it arrives. */
  async *ask(text: string, session: string | undefined, signal: AbortSignal): AsyncGenerator<AskEvent> {
    const response = await this.call('/v1/ask', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(session === undefined ? { text } : { text, session }),
      signal,
    });
    if (!response.body) throw new ApiError('The server sent no answer.', 'server');
    let ended = false;
    try {
      for await (const event of serverSentEvents(response.body)) {
        const data = JSON.parse(event.data) as { session?: string; text?: string; error?: { message?: string } };
        if (event.event === 'session' && data.session) yield { type: 'session', session: data.session };
        else if (event.event === 'text' && typeof data.text === 'string') yield { type: 'text', text: data.text };
        else if (event.event === 'done' || event.event === 'error') ended = true;
        if (event.event === 'done') yield { type: 'done' };
        else if (event.event === 'error') yield { type: 'error', message: data.error?.message ?? 'The answer failed.' };
      }
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      ended = false;
    }
    // The stream stopped without saying how the answer ended: the connection was lost.
    if (!ended && !signal.aborted) throw new ApiError('The connection to the server was lost before the answer ended; what arrived is kept. Try again.', 'unreachable');
  }

  /** The words in 16-bit mono samples, through the gateway's /v1/audio/transcriptions. */
  async transcribe(samples: Int16Array, sampleRate: number, speech: SpeechSettings, signal: AbortSignal): Promise<string> {
    const form = new FormData();
    form.append('model', speech.sttModel);
    if (speech.language) form.append('language', speech.language);
    form.append('file', new Blob([encodeWav(samples, sampleRate)], { type: 'audio/wav' }), 'speech.wav');
    const response = await this.call('/v1/audio/transcriptions', { method: 'POST', body: form, signal });
    return ((await response.json()) as { text?: string }).text?.trim() ?? '';
  }

  /** One sentence spoken, as audio the page's <audio> element can play. */
  async speech(text: string, speech: SpeechSettings, signal: AbortSignal): Promise<Blob> {
    const response = await this.call('/v1/audio/speech', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: speech.ttsModel, voice: speech.voice, speed: speech.speed, input: text, response_format: 'mp3' }),
      signal,
    });
    return response.blob();
  }

  private async call(path: string, init: RequestInit): Promise<Response> {
    const token = this.token();
    if (!token) throw new ApiError('Paste your personal token first.', 'token');
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    let response: Response;
    try {
      response = await fetch(path, { ...init, headers, cache: 'no-store' });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError('The server cannot be reached. Check your connection and try again.', 'unreachable');
    }
    if (response.ok) return response;
    const message = await response.json().then((body: { error?: { message?: string } }) => body.error?.message, () => undefined);
    throw failure(response, message);
  }
}

function failure(response: Response, message: string | undefined): ApiError {
  if (response.status === 401) return new ApiError('This token was not accepted. Check it, or ask for a new one, then paste it again.', 'token');
  if (response.status === 429) {
    const seconds = Number(response.headers.get('retry-after'));
    const when = Number.isFinite(seconds) && seconds > 0 ? ` Try again in ${seconds} s (at ${new Date(Date.now() + seconds * 1000).toLocaleTimeString()}).` : ' Try again later.';
    // The server's own "Retry in N s." is said once, with the clock time added.
    const why = (message ?? 'too many requests for this token.').replace(/\s*Retry in \d+ s\.$/, '');
    return new ApiError(`Rate limit reached: ${why}${when}`, 'rate-limit');
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    return new ApiError(message ?? 'The server is unavailable for a moment. Try again shortly.', 'unreachable');
  }
  return new ApiError(message ?? `The server answered ${response.status}.`, 'server');
}
