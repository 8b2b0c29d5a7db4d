/**
 * The one place that builds the real dependencies of a command from the configuration:
 * the store, the OpenAI-compatible models, the recorder and the player. Each is made on
 * first use, so a command pays only for what it touches.
 */
import { createPlayer, type Player } from './audio/player.js';
import { realProcessRuntime } from './audio/process-launcher.js';
import { SoxRecorder } from './audio/recorder.js';
import { OpenAIChatModel } from './chat/openai-chat-model.js';
import type { OpenAIConnection } from './chat/openai-client.js';
import type { CommandContext } from './commands/context.js';
import type { ResolvedConfig } from './config.js';
import { ExitCode, type EndingSignal } from './errors.js';
import type { InputStream } from './input/prompt-input.js';
import { StoreRequestLog } from './observability/request-log.js';
import { SpendGuard } from './observability/spend-guard.js';
import { OpenAISynthesizer, OpenAITranscriber } from './speech/openai-speech.js';
import { chooseSynthesizer, chooseTranscriber, type SpeechEngineDependencies } from './speech/speech-engines.js';
import { openStore, parseStoreLocation } from './store/open-store.js';
import type { Store } from './store/store.js';
import type { Terminal } from './ui/terminal.js';
import { hostname, userInfo } from 'node:os';

export interface ProcessHooks {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: InputStream;
  onSignal(signal: 'SIGINT' | EndingSignal, listener: () => void): () => void;
  /** Stdout failed (EPIPE: the reader went away; ENOSPC...): the listener decides what happens. */
  onOutputError(listener: (error: NodeJS.ErrnoException) => void): () => void;
  exit(code: number): never;
}

export interface BuiltContext {
  context: CommandContext;
  /** Closes what was opened (the store). */
  close(): Promise<void>;
}

export function buildContext(config: ResolvedConfig, terminal: Terminal, hooks: ProcessHooks): BuiltContext {
  const settings = config.values;
  let store: Promise<Store> | undefined;
  // Only the default data directory is created; any other DATABASE_URL must name an existing directory.
  const createDirectory = config.sources.databaseUrl.kind === 'default';
  const theStore = (): Promise<Store> => (store ??= openStore(parseStoreLocation(settings.databaseUrl, hooks.cwd), { createDirectory }));
  const requestLog = new StoreRequestLog(theStore, settings.logRetentionDays);
  const connection = (baseURL: string | undefined): OpenAIConnection => ({
    baseURL: baseURL ?? settings.baseURL,
    apiKey: settings.apiKey,
    timeoutSeconds: settings.timeoutSeconds,
    maxRetries: settings.maxRetries,
    maxRetryWaitSeconds: settings.maxRetryWaitSeconds,
    requestLog,
  });
  const once = <T>(make: () => T): (() => T) => {
    let made: { value: T } | undefined;
    return () => (made ??= { value: make() }).value;
  };

  const speechEngines: SpeechEngineDependencies = {
    config,
    openAISynthesizer: () => new OpenAISynthesizer(connection(settings.ttsBaseURL)),
    openAITranscriber: () => new OpenAITranscriber(connection(settings.sttBaseURL)),
    runtime: realProcessRuntime,
    env: hooks.env,
    note: (message) => terminal.note(message),
  };

  const context: CommandContext = {
    config,
    terminal,
    stdin: hooks.stdin,
    cwd: hooks.cwd,
    openStore: theStore,
    requestLog,
    spendGuard: (opened, wait) =>
      new SpendGuard(opened, settings, { wait, beforeCount: () => requestLog.flush(), onWait: (reason) => terminal.note(reason) }),
    openStoreAt: (location) => openStore(location),
    chatModel: once(() => new OpenAIChatModel(connection(undefined))),
    transcriber: once(() => chooseTranscriber(speechEngines)),
    synthesizer: once(() => chooseSynthesizer(speechEngines)),
    player: (withoutSpeech): Player => createPlayer(settings.player, { env: hooks.env, withoutSpeech, runtime: realProcessRuntime }),
    recorder: once(() => new SoxRecorder({ device: settings.device, env: hooks.env, runtime: realProcessRuntime })),
    onInterrupt: (handler) => {
      let interrupts = 0;
      return hooks.onSignal('SIGINT', () => {
        interrupts += 1;
        if (interrupts === 1) handler();
        else hooks.exit(ExitCode.Interrupted);
      });
    },
    onSignal: hooks.onSignal,
    onOutputError: hooks.onOutputError,
    owner: ownerName(hooks.env),
    exit: hooks.exit,
  };
  return {
    context,
    close: async () => {
      await requestLog.flush();
      if (store) await store.then((opened) => opened.close()).catch(() => {});
    },
  };
}

/** "user@host" (or ASSISTANT_OWNER): whose sessions `--continue` picks on a shared store. A label, not a credential. */
function ownerName(env: NodeJS.ProcessEnv): string {
  if (env.ASSISTANT_OWNER) return env.ASSISTANT_OWNER;
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the environment, then the uid.
  }
  user ||= env.USER || env.LOGNAME || `uid${process.getuid?.() ?? ''}`;
  return `${user}@${hostname()}`;
}
