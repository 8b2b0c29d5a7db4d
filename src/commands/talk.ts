/** `assistant talk`: the hands-free voice loop (or typed, with --text). */
import { ResponseCache } from '../cache/response-cache.js';
import { ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import { Keyboard } from '../voice/keyboard.js';
import { MicrophoneListener, PushToTalkListener, TextListener, type TurnInput } from '../voice/listeners.js';
import { StatusLine } from '../voice/status-line.js';
import { TalkSession, type InterruptOutcome } from '../voice/talk-session.js';
import type { CommandContext } from './context.js';
import { chooseSession, validateSessionFlags } from './session-choice.js';

export interface TalkOptions {
  session?: string;
  continue?: boolean;
  text: boolean;
  mute: boolean;
  pushToTalk: boolean;
  bargeIn: boolean;
  keepAudio?: string;
  verbose: boolean;
  cache: boolean;
  wait?: boolean;
}

const SIGNAL_EXIT_CODES = { SIGTERM: ExitCode.Terminated, SIGHUP: ExitCode.HangUp } as const;

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
  const speech = options.mute
    ? undefined
    : { synthesizer: context.synthesizer(), player: context.player('use --mute'), settings: { model: settings.ttsModel, voice: settings.voice, speed: settings.speed } };

  const store = await context.openStore();
  const sessionId = await chooseSession(options, store, terminal);
  const cache = new ResponseCache(store, { enabled: options.cache, maxBytes: settings.cacheMaxMegabytes * 1_000_000, ttlSeconds: settings.cacheTtlSeconds }, context.requestLog);
  const status = new StatusLine(terminal);
  const keyboard = !options.text && stdinIsTTY ? new Keyboard(context.stdin as never) : undefined;

  let session: TalkSession | undefined;
  let input: TurnInput;
  if (options.text) {
    const prompt = stdinIsTTY ? () => terminal.write(terminal.answerStyle.cyan.bold('You: ')) : undefined;
    const listener = new TextListener(context.stdin as NodeJS.ReadableStream, prompt, Date.now, stdinIsTTY);
    listener.readline.on('SIGINT', () => onInterrupt(session?.interrupt()));
    input = listener;
  } else if (options.pushToTalk) {
    input = new PushToTalkListener(recorder!, keyboard!, status);
  } else {
    input = new MicrophoneListener({
      recorder: recorder!,
      status,
      detector: { trailingSilenceMilliseconds: settings.silenceMilliseconds, maximumUtteranceMilliseconds: settings.maxUtteranceSeconds * 1000 },
      bargeIn: options.bargeIn,
      onBargeIn: () => session?.stopAnswer(),
    });
  }

  session = new TalkSession(
    { store, chatModel, cache, guard: context.spendGuard(store, options.wait === true), transcriber, speech, input, terminal, status, keyboard },
    {
      sessionId,
      model: settings.model,
      system: settings.system,
      temperature: settings.temperature,
      sttModel: settings.sttModel,
      language: settings.language,
      verbose: options.verbose,
      keepAudioDirectory: options.keepAudio,
      echoTyped: options.text && !stdinIsTTY,
    },
  );

  let exitCode: ExitCodeValue = ExitCode.Success;
  const onInterrupt = (outcome: InterruptOutcome | undefined): void => {
    if (outcome !== 'exit-now') return;
    keyboard?.stop();
    status.clear();
    terminal.note(`\nStopped. Session ${sessionId}.`);
    context.exit(ExitCode.Interrupted);
  };
  const unsubscribe = [
    context.onSignal('SIGINT', () => onInterrupt(session?.interrupt())),
    ...(['SIGTERM', 'SIGHUP'] as const).map((signal) =>
      context.onSignal(signal, () => {
        exitCode = SIGNAL_EXIT_CODES[signal];
        session?.end();
      }),
    ),
  ];
  const stopKeys = keyboard?.onKey((key) => {
    if (key === 'ctrl-c') onInterrupt(session?.interrupt());
  });

  keyboard?.start();
  const how = options.text ? 'Type a message; Ctrl-D ends.' : options.pushToTalk ? 'Press Enter to talk, Enter again to stop; Ctrl-C ends.' : 'Speak; Ctrl-C or Ctrl-D ends.';
  terminal.note(`Talking in session ${sessionId}. ${how}`);
  try {
    await session.run();
  } finally {
    stopKeys?.();
    for (const stop of unsubscribe) stop();
    keyboard?.stop();
  }
  const turns = session.turnCount;
  terminal.note(`${turns} turn${turns === 1 ? '' : 's'} · session ${sessionId}`);
  return exitCode;
}
