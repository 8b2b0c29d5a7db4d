/**
 * Requests the doctor makes to the OpenAI-compatible servers, by plain fetch: it wants the
 * status code as it is (401, 404), not the SDK's retries and translations. Server bodies are
 * never printed: a refusal can quote part of the key.
 */
import { redactUrlPassword } from '../secrets.js';

export type Fetch = typeof globalThis.fetch;

/** Where a request goes and with which key. */
export interface Endpoint {
  baseURL: string;
  apiKey: string | undefined;
}

export type HttpOutcome = { kind: 'answered'; status: number; body: ArrayBuffer } | { kind: 'unreachable'; reason: string };

export async function request(fetch: Fetch, endpoint: Endpoint, path: string, init: RequestInit & { signal: AbortSignal }): Promise<HttpOutcome> {
  const headers = new Headers(init.headers);
  if (endpoint.apiKey) headers.set('authorization', `Bearer ${endpoint.apiKey}`);
  try {
    const response = await fetch(`${endpoint.baseURL}${path}`, { ...init, headers });
    return { kind: 'answered', status: response.status, body: await response.arrayBuffer() };
  } catch (error) {
    if (init.signal.aborted) throw error;
    return { kind: 'unreachable', reason: networkReason(error) };
  }
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND ...) is in its cause. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

export function shownUrl(baseURL: string): string {
  return redactUrlPassword(baseURL);
}

/** The advice for a key a server refused, or for none at all. */
export function keyFix(apiKey: string | undefined): string {
  return apiKey
    ? 'OPENAI_API_KEY was refused: set a valid key (https://platform.openai.com/api-keys) in the environment or a .env file'
    : 'no API key is set: set OPENAI_API_KEY, or point OPENAI_BASE_URL at a server that needs none (e.g. Ollama)';
}
