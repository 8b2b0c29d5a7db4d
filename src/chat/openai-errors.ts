/**
 * Translates the openai SDK's errors into one-line AssistantErrors that say what happened
 * and what to do. This is the only place that knows the SDK's error classes.
 */
import type OpenAI from 'openai';
import { AssistantError } from '../errors.js';
import { abortError } from './chat-model.js';
import { DEFAULT_MAX_RETRY_WAIT_SECONDS, requestedWaitMilliseconds } from './retry-wait.js';

type OpenAIModule = typeof import('openai');

export interface ErrorContext {
  baseURL: string;
  model: string;
  timeoutSeconds: number;
  maxRetries: number;
  maxRetryWaitSeconds?: number | undefined;
}

export type Endpoint = 'chat' | 'transcription' | 'speech';

const MODEL_SETTING: Record<Endpoint, string> = {
  chat: '--model or ASSISTANT_MODEL',
  transcription: '--stt-model or ASSISTANT_STT_MODEL',
  speech: '--tts-model or ASSISTANT_TTS_MODEL',
};

export function translateOpenAIError(sdk: OpenAIModule, error: unknown, context: ErrorContext, endpoint: Endpoint = 'chat'): Error {
  if (error instanceof AssistantError) return error;
  if (error instanceof sdk.APIUserAbortError || (error instanceof Error && error.name === 'AbortError')) return abortError();
  const host = hostOf(context.baseURL);
  const retried = context.maxRetries > 0 ? ` after ${context.maxRetries} ${context.maxRetries === 1 ? 'retry' : 'retries'}` : '';

  if (error instanceof SyntaxError) {
    return new AssistantError(`${host} sent a malformed answer (${oneLine(error.message, 80)}). Is OPENAI_BASE_URL an OpenAI-compatible server?`, { cause: error });
  }
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new AssistantError(`No answer from ${host} within ${context.timeoutSeconds} s${retried}. Check the server, or raise TIMEOUT (seconds).`, { cause: error });
  }
  if (error instanceof sdk.APIConnectionError) {
    const code = causeCode(error);
    if (code === 'ECONNREFUSED') {
      return new AssistantError(`Cannot connect to ${context.baseURL} (connection refused). Is the server running? Check OPENAI_BASE_URL.`, { cause: error });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new AssistantError(`Cannot resolve the host ${host}. Check OPENAI_BASE_URL and your network.`, { cause: error });
    }
    // Without a code, fetch's own reason says what was wrong (e.g. "bad port": a port fetch refuses to use).
    const reason = code ?? causeMessage(error);
    return new AssistantError(`The connection to ${host} failed${retried}${reason ? ` (${reason})` : ''}. Check the server and your network.`, { cause: error });
  }
  if (error instanceof sdk.APIError) {
    const detail = serverMessage(error);
    const status = error.status;
    const bound = context.maxRetryWaitSeconds ?? DEFAULT_MAX_RETRY_WAIT_SECONDS;
    const asked = status === undefined ? undefined : requestedWaitMilliseconds(error.headers);
    if (asked !== undefined && asked > bound * 1000) {
      return new AssistantError(
        `${host} answered ${status} and asked to wait ${formatSeconds(asked)} s before retrying (more than ASSISTANT_MAX_RETRY_WAIT=${bound} s)${detail}. Try again later, or raise ASSISTANT_MAX_RETRY_WAIT.`,
        { cause: error },
      );
    }
    if (status === 401) {
      return new AssistantError(`${host} rejected the API key (401 Unauthorized). Check OPENAI_API_KEY.`, { cause: error });
    }
    if (status === 403) {
      return new AssistantError(`${host} refused the request (403 Forbidden)${detail}. Check the API key's permissions.`, { cause: error });
    }
    if (status === 404) {
      if (/model/i.test(detail) || errorCode(error) === 'model_not_found') {
        const kind = endpoint === 'chat' ? '' : `${endpoint} `;
        return new AssistantError(`The ${kind}model "${context.model}" was not found on ${host} (404). Pick another with ${MODEL_SETTING[endpoint]}.`, { cause: error });
      }
      return new AssistantError(`${context.baseURL} answered 404 Not Found${detail}. Check OPENAI_BASE_URL (it usually ends in /v1).`, { cause: error });
    }
    if (status === 429) {
      if (errorCode(error) === 'insufficient_quota') {
        return new AssistantError(`${host} says the account is out of quota (429)${detail}. Check your plan and billing.`, { cause: error });
      }
      return new AssistantError(`${host} is rate limiting requests (429)${retried}${detail}. Wait a moment and try again.`, { cause: error });
    }
    if (status !== undefined && status >= 500) {
      return new AssistantError(`${host} failed with ${status}${retried}${detail}. Try again later.`, { cause: error });
    }
    if (status !== undefined) {
      const request = endpoint === 'chat' ? 'the request' : `the ${endpoint} request`;
      return new AssistantError(`${host} rejected ${request} (${status})${detail}.`, { cause: error });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AssistantError(`The request to ${host} failed: ${oneLine(message)}.`, { cause: error });
}

export function hostOf(baseURL: string): string {
  try {
    return new URL(baseURL).host;
  } catch {
    return baseURL;
  }
}

function formatSeconds(milliseconds: number): string {
  const seconds = milliseconds / 1000;
  return seconds >= 10 ? String(Math.round(seconds)) : String(Math.round(seconds * 10) / 10);
}

function serverMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message : '';
  return message ? `: ${oneLine(message)}` : '';
}

function errorCode(error: InstanceType<typeof OpenAI.APIError>): string | undefined {
  return typeof error.code === 'string' ? error.code : undefined;
}

function causeCode(error: Error): string | undefined {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 4 && cause; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

function causeMessage(error: Error): string | undefined {
  const cause = error.cause as { cause?: unknown } | undefined;
  const innermost = (cause?.cause ?? cause) as { message?: unknown } | undefined;
  return typeof innermost?.message === 'string' && innermost.message !== 'fetch failed' && innermost.message !== '' ? oneLine(innermost.message, 80) : undefined;
}

function oneLine(text: string, limit = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}
