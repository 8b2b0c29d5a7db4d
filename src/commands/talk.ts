/** `assistant talk`: the hands-free voice loop (or typed, with --text); `assistant chat`: typed and read. */
import { answerCacheUse } from '../cache/response-cache.js';
import { commandCache } from './command-cache.js';
import { AssistantError, ENDING_SIGNALS, ENDING_SIGNAL_NAMES, ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import { Keyboard } from '../voice/keyboard.js';
import { MicrophoneListener, PushToTalkListener, type Listener } from '../voice/listeners.js';
import { StatusLine, type StatusHints } from '../voice/status-line.js';
import { TalkSession } from '../voice/talk-session.js';
import { MICROPHONE_KEY_INTENTS, SIGNAL_INTENTS, type Intent } from '../voice/intents.js';
import { TextListener } from '../voice/text-prompt.js';
import type { Store } from '../store/store.js';
import type { CommandContext } from './context.js';
import { chooseSession, validateSessionFlags } from './session-choice.js';
import { judgeRecordings, loadSpeechDetector } from './speech-detector.js';

export interface TalkOptions {
  session?: string;
  continue?: boolean;
  text: boolean;
  mute: boolean;
  pushToTalk: boolean;
  bargeIn: boolean;
  keepAudio?: string;
  verbose: boolean;
  /** false: --no-speculate (no speculative start during pauses, and so no word-aware end). Default true. */
  speculate?: boolean;
  /** true: --cache, false: --no-cache, undefined: the cacheAnswers setting decides. */
  cache: boolean | undefined;
  wait?: boolean;
  /** Print answers as the model wrote them, without drawing their markdown (a terminal only draws it). */
  raw?: boolean;
}

/** `assistant chat` takes only the session flags. */
export type ChatOptions = Pick<TalkOptions, 'session' | 'continue' | 'cache' | 'raw'>;

/** The text-only loop: `talk --text --mute`. */
export function chat(options: ChatOptions, context: CommandContext): Promise<ExitCodeValue> {
  return talk({ ...options, text: true, mute: true, pushToTalk: false, bargeIn: false, verbose: false }, context);
}

export async function talk(options: TalkOptions, context: CommandContext): Promise<ExitCodeValue> {
  const { terminal, config } = context;
  const settings = config.values;
  validateSessionFlags(options);
  if (options.text && options.pushToTalk) throw usageError('--push-to-talk needs the microphone; leave out --text.');
  const stdinIsTTY = (context.stdin as { isTTY?: boolean }).isTTY === true;
  if (options.pushToTalk && !stdinIsTTY) throw usageError('--push-to-talk needs a terminal to press Enter in.');

  // Check every part before the session starts, so a missing program fails fast and clearly.
  const chatModel = context.chatModel();
  const recorder = options.text ? undefined : context.recorder();
  recorder?.checkAvailable();
  const transcriber = options.text ? undefined : context.transcriber();
  const voice = options.mute
    ? undefined
    : { synthesizer: context.synthesizer(), player: context.player('use --mute'), settings: { model: settings.ttsModel, voice: settings.voice, speed: settings.speed } };

  const store = await context.openStore();
  const chosen = await chooseSession(options, store, terminal, context.owner, config);
  const sessionId = chosen.id;
  const cache = commandCache(store, context, options.cache !== false);
  const keyboard = !options.text && stdinIsTTY ? new Keyboard(context.stdin as never) : undefined;
  // Typed on a terminal: the prompt is drawn where the person looks (stdout, or stderr when stdout is redirected).
  const promptOutput = options.text && stdinIsTTY ? (terminal.stdoutIsTTY ? terminal.stdout : terminal.stderrIsTTY ? terminal.stderr : undefined) : undefined;
  const status = new StatusLine(terminal, Date.now, statusHints(options.text, promptOutput !== undefined, keyboard !== undefined));

  let session: TalkSession | undefined;
  let textPrompt: TextListener | undefined;
  let input: Listener;
  if (options.text) {
    const promptStyle = promptOutput === terminal.stdout ? terminal.answerStyle : terminal.style;
    textPrompt = new TextListener({
      input: context.stdin as unknown as NodeJS.ReadableStream,
      output: promptOutput as NodeJS.WritableStream | undefined,
      prompt: String(promptStyle.cyan.bold('You: ')),
      history: promptOutput ? await earlierQuestions(store, sessionId) : [],
      onIntent: (intent) => act(intent),
    });
    input = textPrompt;
  } else if (options.pushToTalk) {
    // Loaded before the first recording: no wait in the first turn, and --verbose names it.
    const { classifier } = await loadSpeechDetector(settings, options.verbose, terminal);
    input = new PushToTalkListener(recorder!, keyboard!, status, judgeRecordings(classifier));
  } else {
    const { classifier } = await loadSpeechDetector(settings, options.verbose, terminal);
    input = new MicrophoneListener({
      recorder: recorder!,
      status,
      detector: {
        trailingSilenceMilliseconds: settings.silenceMilliseconds,
        pauseMilliseconds: settings.pauseMilliseconds,
        maximumUtteranceMilliseconds: settings.maxUtteranceSeconds * 1000,
        classifier,
      },
      bargeIn: options.bargeIn,
      onBargeIn: () => act('stop-answer'),
      onPause: (pause) => session?.paused(pause),
      onResume: () => session?.resumed(),
    });
  }

  if (options.raw !== true) await terminal.renderAnswersAsMarkdown();
  session = new TalkSession(
    { store, chatModel, cache, guard: context.spendGuard(store, options.wait === true), transcriber, voice, input, terminal, status },
    {
      sessionId,
      ...chosen.settings,
      contextBudgetTokens: settings.contextTokens,
      answerCache: answerCacheUse(options.cache, settings.cacheAnswers, chosen.settings.temperature),
      owner: context.owner,
      sttModel: settings.sttModel,
      language: settings.language,
      verbose: options.verbose,
      keepAudioDirectory: options.keepAudio,
      // The prompt shows what was typed; otherwise (piped, or stdout redirected) it is echoed as "You: ...".
      echoTyped: options.text && promptOutput !== terminal.stdout,
      speculate: options.speculate !== false,
      turnEnd:
        options.speculate === false
          ? undefined
          : { unfinishedMilliseconds: settings.unfinishedSilenceMilliseconds, undecidedMilliseconds: settings.silenceMilliseconds, completeMilliseconds: settings.completeSilenceMilliseconds },
    },
  );

  let exitCode: ExitCodeValue = ExitCode.Success;
  let outputFailure: string | undefined;
  // Every key and signal becomes an intent (src/voice/intents.ts); only a quick second Ctrl-C exits from here.
  const act = (intent: Intent): void => {
    if (session?.apply(intent) !== 'exit-now') return;
    keyboard?.stop();
    textPrompt?.restoreTerminal();
    status.clear();
    terminal.note(`\nStopped. Session ${sessionId}.`);
    context.exit(ExitCode.Interrupted);
  };
  const unsubscribe = [
    ...(['SIGINT', ...ENDING_SIGNAL_NAMES] as const).map((signal) =>
      context.onSignal(signal, () => {
        if (signal !== 'SIGINT') exitCode = ENDING_SIGNALS[signal];
        act(SIGNAL_INTENTS[signal]);
      }),
    ),
    // Stdout went away (| head) or filled up: the turn in progress is stored, then the session ends.
    context.onOutputError((error) => {
      outputFailure = error.code === 'EPIPE' ? undefined : `Cannot write to stdout (${error.code ?? error.message}).`;
      act('end');
    }),
  ];
  const stopKeys = keyboard?.onKey((key) => {
    const intent = MICROPHONE_KEY_INTENTS[key];
    if (intent) act(intent);
  });

  keyboard?.start();
  const how = !options.text
    ? options.pushToTalk ? 'Press Enter to talk, Enter again to stop; Ctrl-C ends.' : 'Speak; Ctrl-C or Ctrl-D ends.'
    : promptOutput
      ? 'Type a message and press Enter (a paste is one message; Up recalls earlier ones). While it answers, Enter or Esc stops it. Ctrl-D ends.'
      : 'Type a message; Ctrl-D ends.';
  terminal.note(`Talking in session ${sessionId}. ${how}`);
  try {
    await session.run();
  } finally {
    stopKeys?.();
    for (const stop of unsubscribe) stop();
    keyboard?.stop();
    // session.run closes its input; this covers a failure before that, so paste mode never outlives us.
    textPrompt?.restoreTerminal();
  }
  const turns = session.turnCount;
  if (outputFailure !== undefined) throw new AssistantError(`${outputFailure} The session so far was saved: ${sessionId}.`);
  terminal.note(`${turns} turn${turns === 1 ? '' : 's'} · session ${sessionId}`);
  return exitCode;
}

/** The hint must name only keys that work: the keyboard is read only on a terminal. */
function statusHints(text: boolean, prompt: boolean, keyboard: boolean): StatusHints {
  if (text) return { listening: 'Ctrl-D to end', answering: prompt ? 'Enter, Esc or Ctrl-C to stop' : 'Ctrl-C to stop' };
  return { listening: keyboard ? 'Ctrl-C or Ctrl-D to end' : 'Ctrl-C to end', answering: keyboard ? 'Space/Enter to interrupt' : 'Ctrl-C to interrupt' };
}

/** The session's earlier one-line questions, newest first, so Up reaches them after -c or -s. */
async function earlierQuestions(store: Store, sessionId: string): Promise<string[]> {
  const messages = await store.messages(sessionId);
  return messages.filter((message) => message.role === 'user' && !message.content.includes('\n')).map((message) => message.content).reverse();
}

