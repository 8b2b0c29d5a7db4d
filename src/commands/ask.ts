/** `assistant ask`: one question, the answer streamed to stdout, the exchange kept in a session. */
import { answerCacheUse } from '../cache/response-cache.js';
import { commandCache } from './command-cache.js';
import { lastFailedQuestion } from '../conversation/context-window.js';
import { exchangeJson } from '../conversation/exchange.js';
import { runTurn, type TurnInput, type TurnOutcome } from '../conversation/turn.js';
import { AssistantError, ENDING_SIGNALS, ENDING_SIGNAL_NAMES, ExitCode, errorMessage, usageError, type ExitCodeValue } from '../errors.js';
import { checkSpeech, readAudioInput } from '../input/audio-input.js';
import { checkInputSize, composePrompt, readPipedInput } from '../input/prompt-input.js';
import type { Store } from '../store/store.js';
import type { Spinner, Terminal } from '../ui/terminal.js';
import type { CommandContext } from './context.js';
import { chooseSession, validateSessionFlags, type ChosenSession } from './session-choice.js';
import { recordingJudge } from './speech-detector.js';

export interface AskOptions {
  text: string[];
  session?: string;
  continue?: boolean;
  /** true: a cached answer may be served (--cache); false: no cache at all (--no-cache); undefined: the cacheAnswers setting decides. */
  cache: boolean | undefined;
  /** Re-send the last failed question of the session (--retry). */
  retry?: boolean;
  stream: boolean;
  json: boolean;
  /** Also speak the answer, sentence by sentence. */
  speak: boolean;
  /** Transcribe this audio file ("-": stdin) and ask it. */
  audio?: string;
  /** Wait for room under the rate and spend limits instead of failing. */
  wait?: boolean;
  /** Print the answer as the model wrote it, without drawing its markdown (a terminal only draws it). */
  raw?: boolean;
}

export async function ask(options: AskOptions, context: CommandContext): Promise<ExitCodeValue> {
  const { terminal, config } = context;
  validateSessionFlags(options);
  if (options.retry && (options.text.length > 0 || options.audio !== undefined)) throw usageError('--retry re-sends the last failed question; give no other question with it.');
  if (options.retry && options.session === undefined && !options.continue) throw usageError('--retry needs the session: add -c (your latest session) or --session <id>.');

  const settings = config.values;
  const chatModel = context.chatModel();
  const voice = options.speak
    ? { synthesizer: context.synthesizer(), player: context.player('leave out --speak'), settings: { model: settings.ttsModel, voice: settings.voice, speed: settings.speed } }
    : undefined;
  const instruction = options.text.length > 0 ? options.text.join(' ') : undefined;
  const audio = options.audio === undefined ? undefined : await readAudioInput(options.audio, context.stdin);
  if (audio) await checkSpeech(audio, recordingJudge(settings, terminal));
  const transcriber = audio ? context.transcriber() : undefined;

  const store = await context.openStore();
  const session = await chooseSession(options, store, terminal, context.owner, config);
  const sessionId = session.id;
  const cache = commandCache(store, context, options.cache !== false);
  const limit = settings.maxInputBytes;
  const input: TurnInput = audio
    ? { kind: 'audio-file', audio: audio.audio, filename: audio.filename, question: (spoken) => checkInputSize(composePrompt(spoken, instruction), limit) }
    : {
        kind: 'text',
        text: options.retry
          ? await failedQuestionToRetry(store, session, await readPipedInput(context.stdin, limit), terminal)
          : checkInputSize(composePrompt(await readPipedInput(context.stdin, limit), instruction), limit),
      };

  // Ctrl-C, SIGTERM, SIGHUP, SIGQUIT and a stdout that fails all end the answer the same way: what
  // arrived is stored (interrupted), then the exit code says why.
  const controller = new AbortController();
  let ending: Ending | undefined;
  const stop = (code: ExitCodeValue, error?: string): void => {
    ending ??= error === undefined ? { code } : { code, error };
    controller.abort();
  };
  const unsubscribe = [
    context.onInterrupt(() => stop(ExitCode.Interrupted)),
    ...ENDING_SIGNAL_NAMES.map((signal) => context.onSignal(signal, () => stop(ENDING_SIGNALS[signal]))),
    context.onOutputError((error) =>
      error.code === 'EPIPE' ? stop(ExitCode.Success) : stop(ExitCode.Failure, `Cannot write the answer to stdout (${error.code ?? error.message}).`),
    ),
  ];
  let spinner: Spinner | undefined;
  if (!options.raw && !options.json) await terminal.renderAnswersAsMarkdown();
  const answer = terminal.untrustedWriter();
  /** Whether what was printed of the answer ends its line (nothing printed: it does). */
  let lineEnded = true;
  let outcome: TurnOutcome;
  try {
    outcome = await runTurn(
      { store, chatModel, cache, guard: context.spendGuard(store, options.wait === true), transcriber, voice },
      {
        sessionId,
        ...session.settings,
        stream: options.stream,
        contextBudgetTokens: settings.contextTokens,
        answerCache: answerCacheUse(options.cache, settings.cacheAnswers, session.settings.temperature),
        owner: context.owner,
        sttModel: settings.sttModel,
        language: settings.language,
        keep: 'printed',
      },
      input,
      {
        onStage: async (stage) => {
          spinner?.stop();
          if (!options.json) spinner = await terminal.spinner(stage === 'transcribing' ? 'Transcribing…' : 'Thinking…');
        },
        onHeard: (spoken) => {
          spinner?.stop();
          if (!options.json && terminal.stderrIsTTY) terminal.note(`Heard: ${spoken}`);
        },
        onText: (text) => {
          spinner?.stop();
          if (!options.json) answer.write(text);
          if (text !== '') lineEnded = text.endsWith('\n');
        },
        // The answer has arrived; --speak is still saying it. The spinner goes on a line of its
        // own, below the whole answer, so clearing it never erases the answer's last line.
        onSpeakingRest: async () => {
          spinner?.stop();
          if (options.json) return;
          answer.end();
          if (!lineEnded) terminal.write('\n');
          lineEnded = true;
          spinner = await terminal.spinner('Speaking…');
        },
      },
      controller.signal,
    );
  } finally {
    spinner?.stop();
    for (const unsubscribeOne of unsubscribe) unsubscribeOne();
    if (ending === undefined || ending.code !== ExitCode.Success) answer.end();
  }
  return reportOutcome(outcome, { json: options.json, audioName: audio?.filename, ending, sessionId, lineEnded }, terminal);
}

/** Why the answer ended early: the exit code, and a failure to say (stdout failed). */
interface Ending {
  code: ExitCodeValue;
  error?: string;
}

/** After the turn: the answer's last newline or its JSON, the notes and errors, and the exit code. */
function reportOutcome(
  outcome: TurnOutcome,
  { json, audioName, ending, sessionId, lineEnded }: { json: boolean; audioName: string | undefined; ending: Ending | undefined; sessionId: string; lineEnded: boolean },
  terminal: Terminal,
): ExitCodeValue {
  if (outcome.kind === 'unheard') {
    if (outcome.reason === 'no-words') throw new AssistantError(`No words were recognised in ${audioName ?? 'the audio'}; nothing was asked.`);
    if (ending?.error !== undefined) throw new AssistantError(`${ending.error} Nothing was asked.`);
    if (ending?.code !== ExitCode.Success) terminal.note('Interrupted while transcribing; nothing was asked.');
    return ending?.code ?? ExitCode.Interrupted;
  }
  const { result, speechFailure } = outcome;

  if (json) {
    terminal.json(exchangeJson(result));
  } else if (!lineEnded) {
    terminal.write('\n');
  }

  if (!json && terminal.stderrIsTTY) {
    terminal.note(`${result.cached ? 'cached answer · ' : ''}session ${sessionId}`);
  }
  if (speechFailure !== undefined) terminal.error(`Speaking failed: ${errorMessage(speechFailure)}`);
  if (result.finishReason === 'length') terminal.warn('the answer was cut off at the model\'s output limit.');

  if (result.status === 'interrupted') {
    const saved = result.answer === '' ? 'Your question was saved' : 'The partial answer was saved';
    if (ending?.error !== undefined) throw new AssistantError(`${ending.error} ${saved} in session ${sessionId}.`);
    // The reader of a pipe went away (| head): it had what it wanted; what arrived is in history.
    if (ending?.code === ExitCode.Success) return ExitCode.Success;
    terminal.note(`Interrupted. ${saved} in session ${sessionId}.`);
    return ending?.code ?? ExitCode.Interrupted;
  }
  if (result.status === 'error') {
    const saved = result.answer === '' ? 'Your question was saved' : 'The partial answer was saved';
    throw new AssistantError(`${errorMessage(result.error)} ${saved} in session ${sessionId}.`, {
      exitCode: result.error instanceof AssistantError ? result.error.exitCode : ExitCode.Failure,
      cause: result.error,
    });
  }
  // The answer was printed and stored, but what was asked for (--speak) did not happen.
  return speechFailure !== undefined ? ExitCode.Failure : ExitCode.Success;
}


/** The question `--retry` sends again: the session's last one, when it got no answer. */
async function failedQuestionToRetry(store: Store, session: ChosenSession, piped: string | undefined, terminal: Terminal): Promise<string> {
  if (piped !== undefined && piped.trim() !== '') throw usageError('--retry re-sends the last failed question; pipe nothing into it.');
  if (!session.existing) throw usageError(`No session "${session.id}" to retry in. List sessions with: assistant history`);
  const failed = lastFailedQuestion(await store.messages(session.id));
  if (!failed) throw usageError(`The last question of session ${session.id} did not fail; there is nothing to retry.`);
  terminal.note(`Retrying: ${failed.content.length > 60 ? `${failed.content.slice(0, 59)}…` : failed.content}`);
  return failed.content;
}
