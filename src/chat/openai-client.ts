/**
 * The connection to an OpenAI-compatible server. The SDK is imported on first use only,
 * so `--help`, `history` and cached answers never pay for loading it.
 */
import type OpenAI from 'openai';
import { AssistantError } from '../errors.js';
import { callerSignal, instrumentFetch, type RequestLog } from '../observability/request-log.js';
import { idleBoundedFetch } from './idle-timeout.js';
import { hostOf } from './openai-errors.js';
import { DEFAULT_MAX_RETRY_WAIT_SECONDS, waitForRetriesHere } from './retry-wait.js';

export interface OpenAIConnection {
  baseURL: string;
  /** Optional for servers that need none (Ollama, llama.cpp server...). */
  apiKey: string | undefined;
  /** Per request, including each retry: the wait for the headers, then every gap in the body. */
  timeoutSeconds: number;
  /** Retries on 429, 5xx and connection errors, with backoff; honours retry-after. */
  maxRetries: number;
  /** A retry-after longer than this (seconds) fails at once instead of waiting. Default 60. */
  maxRetryWaitSeconds?: number | undefined;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
  /** Where every call and attempt is recorded. */
  requestLog?: RequestLog | undefined;
}

export interface LoadedOpenAI {
  sdk: typeof import('openai');
  client: OpenAI;
}

/** Fails early, before anything is stored or sent, when OpenAI itself is the server and no key is set. */
export function checkConnection(connection: OpenAIConnection): void {
  if (!connection.apiKey && hostOf(connection.baseURL) === 'api.openai.com') {
    throw new AssistantError(
      'OPENAI_API_KEY is not set. Set it, or point OPENAI_BASE_URL at an OpenAI-compatible server (e.g. Ollama: http://localhost:11434/v1).',
    );
  }
}

export async function loadOpenAI(connection: OpenAIConnection): Promise<LoadedOpenAI> {
  checkConnection(connection);
  const sdk = await import('openai');
  const client = new sdk.OpenAI({
    baseURL: connection.baseURL,
    // Local servers ignore the key, but the SDK insists on one.
    apiKey: connection.apiKey || 'no-key',
    timeout: connection.timeoutSeconds * 1000,
    maxRetries: connection.maxRetries,
    // The SDK would print its own warnings (e.g. a malformed stream) on stderr; we report errors ourselves.
    logLevel: 'off',
    // Outermost first: bounded retry waits, the request log, idle bodies, the network.
    fetch: waitForRetriesHere(instrumentFetch(idleBoundedFetch(connection.fetch ?? globalThis.fetch, connection.timeoutSeconds)), {
      maxRetries: connection.maxRetries,
      maxRetryWaitSeconds: connection.maxRetryWaitSeconds ?? DEFAULT_MAX_RETRY_WAIT_SECONDS,
      signal: callerSignal,
    }),
  });
  return { sdk, client };
}
