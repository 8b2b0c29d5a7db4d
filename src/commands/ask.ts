/** `assistant ask`: one question, the answer streamed to stdout, the exchange kept in a session. */
import { ResponseCache } from '../cache/response-cache.js';
import { runExchange, type ExchangeResult } from '../conversation/exchange.js';
import { AssistantError, ExitCode, errorMessage, usageError, type ExitCodeValue } from '../errors.js';
import { composePrompt, readPipedInput } from '../input/prompt-input.js';
import { newSessionId, validateSessionId } from '../session-id.js';
import type { Store } from '../store/store.js';
import type { CommandContext } from './context.js';

export interface AskOptions {
  text: string[];
  session?: string;
  continue?: boolean;
  cache: boolean;
  stream: boolean;
  json: boolean;
}

export async function ask(options: AskOptions, context: CommandContext): Promise<ExitCodeValue> {
  const { terminal, config } = context;
  if (options.session !== undefined && options.continue) throw usageError('Use either --session <id> or --continue, not both.');
  if (options.session !== undefined) validateSessionId(options.session);

  const chatModel = context.chatModel();
  const prompt = composePrompt(await readPipedInput(context.stdin), options.text.length > 0 ? options.text.join(' ') : undefined);
  const store = await context.openStore();
  const sessionId = await chooseSession(options, store, context);
  const settings = config.values;
  const cache = new ResponseCache(store, {
    enabled: options.cache,
    maxBytes: settings.cacheMaxMegabytes * 1_000_000,
    ttlSeconds: settings.cacheTtlSeconds,
  });

  const controller = new AbortController();
  const stopListening = context.onInterrupt(() => controller.abort());
  const spinner = options.json ? { stop: () => {} } : await terminal.spinner('Thinking…');
  let result: ExchangeResult;
  try {
    result = await runExchange(
      { store, chatModel, cache },
      {
        sessionId,
        userText: prompt,
        model: settings.model,
        system: settings.system,
        temperature: settings.temperature,
        stream: options.stream,
      },
      {
        signal: controller.signal,
        onText: (text) => {
          spinner.stop();
          if (!options.json) terminal.write(text);
        },
      },
    );
  } finally {
    spinner.stop();
    stopListening();
  }

  if (options.json) {
    terminal.line(
      JSON.stringify({
        session: result.sessionId,
        answer: result.answer,
        model: result.model,
        usage: result.usage ? { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens } : null,
        cached: result.cached,
        status: result.status,
      }),
    );
  } else if (result.answer !== '' && !result.answer.endsWith('\n')) {
    terminal.write('\n');
  }

  if (!options.json && terminal.stderrIsTTY) {
    terminal.note(`${result.cached ? 'cached answer · ' : ''}session ${sessionId}`);
  }
  if (result.finishReason === 'length') terminal.warn('the answer was cut off at the model\'s output limit.');

  if (result.status === 'interrupted') {
    terminal.note(`Interrupted. The partial answer was saved in session ${sessionId}.`);
    return ExitCode.Interrupted;
  }
  if (result.status === 'error') {
    const saved = result.answer === '' ? 'Your question was saved' : 'The partial answer was saved';
    throw new AssistantError(`${errorMessage(result.error)} ${saved} in session ${sessionId}.`, {
      exitCode: result.error instanceof AssistantError ? result.error.exitCode : ExitCode.Failure,
      cause: result.error,
    });
  }
  return ExitCode.Success;
}

async function chooseSession(options: AskOptions, store: Store, context: CommandContext): Promise<string> {
  if (options.session !== undefined) return options.session;
  if (options.continue) {
    const latest = await store.latestSessionId();
    if (latest !== undefined) return latest;
    context.terminal.note('No earlier session to continue; starting a new one.');
  }
  return newSessionId();
}
