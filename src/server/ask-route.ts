/**
 * POST /v1/ask: one turn of the same core as `assistant ask`, for a token's session. The
 * question is stored before the model is called; a client that goes away mid-answer leaves
 * what arrived stored as interrupted; a model failure is a 502 with the question kept.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { answerCacheUse } from '../cache/response-cache.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { ChatModel } from '../chat/chat-model.js';
import { runTurn, type TurnDependencies } from '../conversation/turn.js';
import { exchangeJson, type ExchangeResult } from '../conversation/exchange.js';
import { newSessionId } from '../session-id.js';
import type { SessionStore } from '../store/store.js';
import { ownerOf, type Principal } from './auth.js';
import { clientMessage, HttpError } from './http-errors.js';
import { sessionOf } from './session-access.js';
import { askRequest, jsonBody, parseBody, type AskRequest, type AskResponse } from './schemas.js';

export interface AskDependencies {
  store: TurnDependencies['store'] & Pick<SessionStore, 'getSession'>;
  chatModel: ChatModel;
  cache: ResponseCache;
  guard?: TurnDependencies['guard'];
}

/** The server's defaults, from its configuration. */
export interface AskSettings {
  model: string;
  system: string | undefined;
  temperature: number | undefined;
  contextTokens: number;
  cacheAnswers: 'auto' | 'always' | 'never';
  maxInputBytes: number;
  /** Never sent to a client (the server's key, passwords in its URLs): replaced in upstream error messages. */
  secrets?: readonly string[] | undefined;
}

type AskContext = Context<{ Variables: { principal: Principal } }>;

export function askRoute(dependencies: AskDependencies, settings: AskSettings) {
  return async (context: AskContext): Promise<Response> => {
    const body = parseBody(askRequest, await jsonBody(context.req));
    if (Buffer.byteLength(body.text) > settings.maxInputBytes) {
      throw new HttpError(413, `text is over the ${settings.maxInputBytes}-byte limit.`, 'too_large', 'text');
    }
    const principal = context.get('principal');
    const sessionId = body.session === undefined ? newSessionId() : await sessionOf(dependencies.store, principal, body.session);
    const controller = new AbortController();
    // The client went away: the answer stops, and what arrived is stored as interrupted.
    context.req.raw.signal.addEventListener('abort', () => controller.abort(), { once: true });
    const turn = (onText: (text: string) => void): Promise<ExchangeResult> => answer(dependencies, settings, principal, sessionId, body, onText, controller.signal);

    if (!(context.req.header('accept') ?? '').includes('text/event-stream')) {
      const result = await turn(() => {});
      if (result.status === 'error') throw new HttpError(502, `${clientMessage(result.error, settings.secrets)} The question was saved in session ${sessionId}.`, 'upstream');
      return context.json(exchangeJson(result));
    }
    return streamSSE(context, async (stream) => {
      stream.onAbort(() => controller.abort());
      await stream.writeSSE({ event: 'session', data: JSON.stringify({ session: sessionId }) });
      const result = await turn((text) => void stream.writeSSE({ event: 'text', data: JSON.stringify({ text }) }));
      if (result.status === 'error') {
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { message: `${clientMessage(result.error, settings.secrets)} The question was saved.`, type: 'upstream' }, session: sessionId }) });
      } else {
        await stream.writeSSE({ event: 'done', data: JSON.stringify(exchangeJson(result)) });
      }
    });
  };
}

async function answer(
  dependencies: AskDependencies,
  settings: AskSettings,
  principal: Principal,
  sessionId: string,
  body: AskRequest,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<ExchangeResult> {
  const temperature = body.temperature ?? settings.temperature;
  const outcome = await runTurn(
    dependencies,
    {
      sessionId,
      model: body.model ?? settings.model,
      system: body.system ?? settings.system,
      temperature,
      stream: true,
      contextBudgetTokens: settings.contextTokens,
      answerCache: answerCacheUse(undefined, settings.cacheAnswers, temperature),
      owner: ownerOf(principal),
      token: { id: principal.tokenId, name: principal.name },
      sttModel: '',
      language: undefined,
      keep: 'printed',
    },
    { kind: 'text', text: body.text },
    { onText },
    signal,
  );
  // Typed input is always heard.
  if (outcome.kind !== 'answered') throw new Error('a typed question was not asked');
  return outcome.result;
}
