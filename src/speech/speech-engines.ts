/**
 * Which engine does each speech stage: text-to-speech by the OpenAI-compatible server, espeak-ng,
 * macOS `say` or the person's command; speech-to-text by the server or the person's command.
 * Chosen per stage by `tts`/`stt` (flags --tts, --stt); a command given alone (--tts-command)
 * picks its engine. Programs are looked up when the engine is built, so a missing one fails
 * before the conversation starts.
 */
import type { ProcessRuntime } from '../audio/process-launcher.js';
import type { ResolvedConfig } from '../config.js';
import { AssistantError, ExitCode } from '../errors.js';
import { splitCommandLine } from './command-line.js';
import { CommandTranscriber } from './command-transcriber.js';
import { ESPEAK_INSTALL, NotFoundFallbackSynthesizer } from './not-found-fallback.js';
import { ProgramSynthesizer } from './program-synthesizer.js';
import { LOCAL_TIMEOUT_FACTOR, requireProgram } from './run-program.js';
import type { SpeechRequest, Synthesizer, Transcriber } from './speech-models.js';

export interface SpeechEngineDependencies {
  config: ResolvedConfig;
  /** The OpenAI-compatible engines, built only when chosen (they need a server and maybe a key). */
  openAISynthesizer(): Synthesizer;
  openAITranscriber(): Transcriber;
  runtime: ProcessRuntime;
  env: NodeJS.ProcessEnv;
  /** A line for the person on stderr (the fallback's note). */
  note(message: string): void;
}

/** espeak-ng's and say's default rate, in words per minute: speed 1. */
const WORDS_PER_MINUTE = 175;

export type TextToSpeechEngine = ResolvedConfig['values']['tts'];
export type SpeechToTextEngine = ResolvedConfig['values']['stt'];

/** The engine a setting chooses; a command given without --tts/--stt means that command. */
export function chosenEngines({ values, sources }: ResolvedConfig): { tts: TextToSpeechEngine; stt: SpeechToTextEngine } {
  return {
    tts: sources.tts.kind === 'default' && values.ttsCommand !== undefined ? 'command' : values.tts,
    stt: sources.stt.kind === 'default' && values.sttCommand !== undefined ? 'command' : values.stt,
  };
}

export function chooseSynthesizer(dependencies: SpeechEngineDependencies): Synthesizer {
  const { config, runtime, env } = dependencies;
  const { values, sources } = config;
  // The OpenAI default voice means nothing to a local engine: only a voice the person chose is passed on.
  const voice = sources.voice.kind === 'default' ? undefined : values.voice;
  switch (chosenEngines(config).tts) {
    case 'espeak':
      return espeak(runtime, env, voice, localTimeout(config));
    case 'say':
      return new ProgramSynthesizer({
        label: 'say',
        executable: requireProgram('say', runtime, env, 'say is part of macOS; elsewhere use --tts espeak.'),
        command: { program: 'say', args: ['-o', '{out}', '--file-format=WAVE', '--data-format=LEI16@22050', '-f', '-'] },
        voiceArguments: (request) => rateAndVoice('-r', request, voice),
        env,
        runtime,
        timeoutMilliseconds: localTimeout(config),
      });
    case 'command': {
      if (values.ttsCommand === undefined) {
        throw new AssistantError(`--tts command needs --tts-command (or ASSISTANT_TTS_COMMAND), e.g. 'piper --model en.onnx --output_file {out}'.`, { exitCode: ExitCode.Usage });
      }
      const command = splitCommandLine(values.ttsCommand, '--tts-command');
      return new ProgramSynthesizer({
        label: '--tts-command',
        executable: requireProgram(command.program, runtime, env, 'Check --tts-command (ASSISTANT_TTS_COMMAND).'),
        command,
        env,
        runtime,
        timeoutMilliseconds: localTimeout(config),
      });
    }
    case 'openai': {
      const remote = dependencies.openAISynthesizer();
      // Nothing about speech was configured: a chat server without speech (404) means espeak-ng, if it is here.
      const configuredNothing = sources.tts.kind === 'default' && sources.ttsBaseURL.kind === 'default' && sources.ttsModel.kind === 'default';
      const canFallBack = configuredNothing && runtime.launcher.findExecutable('espeak-ng', env) !== undefined;
      return new NotFoundFallbackSynthesizer(
        remote,
        canFallBack ? { name: 'espeak-ng', make: () => espeak(runtime, env, voice, localTimeout(config)), note: dependencies.note } : undefined,
      );
    }
  }
}

export function chooseTranscriber(dependencies: SpeechEngineDependencies): Transcriber {
  const { config, runtime, env } = dependencies;
  if (chosenEngines(config).stt === 'openai') return dependencies.openAITranscriber();
  const text = config.values.sttCommand;
  if (text === undefined) {
    throw new AssistantError(`--stt command needs --stt-command (or ASSISTANT_STT_COMMAND), e.g. 'whisper-cli -m ggml-base.en.bin -f {file} -nt'.`, { exitCode: ExitCode.Usage });
  }
  const command = splitCommandLine(text, '--stt-command');
  return new CommandTranscriber({
    executable: requireProgram(command.program, runtime, env, 'Check --stt-command (ASSISTANT_STT_COMMAND).'),
    command,
    env,
    runtime,
    timeoutMilliseconds: localTimeout(config),
  });
}

/** How long a local program may run for one sentence or one utterance. */
function localTimeout(config: ResolvedConfig): number {
  return config.values.timeoutSeconds * LOCAL_TIMEOUT_FACTOR * 1000;
}

function espeak(runtime: ProcessRuntime, env: NodeJS.ProcessEnv, voice: string | undefined, timeoutMilliseconds: number): ProgramSynthesizer {
  return new ProgramSynthesizer({
    label: 'espeak-ng',
    executable: requireProgram('espeak-ng', runtime, env, `${ESPEAK_INSTALL}; or choose another engine with --tts.`),
    command: { program: 'espeak-ng', args: ['--stdout'] },
    voiceArguments: (request) => rateAndVoice('-s', request, voice),
    env,
    runtime,
    timeoutMilliseconds,
  });
}

/** The rate flag at the request's speed, and the voice when the person chose one. */
function rateAndVoice(rateFlag: string, request: SpeechRequest, voice: string | undefined): string[] {
  return [rateFlag, String(Math.round(WORDS_PER_MINUTE * request.speed)), ...(voice !== undefined ? ['-v', voice] : [])];
}
