/**
 * The options every conversation (ask, talk, chat) takes: which session, and the model's
 * settings. Defined once so the three commands say the same thing about them.
 */
import type { Command } from 'commander';
import type { ConfigFlags } from '../config.js';

export interface SessionOptionValues {
  session?: string;
  continue?: boolean;
}

export interface ModelOptionValues {
  role?: string;
  system?: string;
  model?: string;
  temperature?: string;
}

/** -s/--session and -c/--continue. */
export function addSessionOptions(command: Command): Command {
  return command
    .option('-s, --session <id>', 'continue (or create) the named session')
    .option('-c, --continue', 'continue your most recent session (yours: this user@host, or ASSISTANT_OWNER)');
}

/** --system, -m/--model and -t/--temperature: settings a continued session keeps unless given again. */
export function addModelOptions(command: Command): Command {
  return command
    .option('-r, --role <name>', 'a role from the config file: its system prompt, and the model, voice and language it sets (assistant roles)')
    .option('--system <text>', 'system prompt (env ASSISTANT_SYSTEM)')
    .option('-m, --model <name>', 'chat model (env ASSISTANT_MODEL, default gpt-4o-mini)')
    .option('-t, --temperature <n>', "sampling temperature, 0 to 2 (env ASSISTANT_TEMPERATURE, default: the server's)");
}

/** The configuration flags the model options set. */
export function modelFlags(options: ModelOptionValues): ConfigFlags {
  return { role: options.role, system: options.system, model: options.model, temperature: options.temperature };
}

/** The session flags as the commands take them (`--session` only when given). */
export function sessionChoice(options: SessionOptionValues): { session?: string; continue: boolean } {
  return { ...(options.session !== undefined ? { session: options.session } : {}), continue: options.continue === true };
}

export interface SpeechEngineOptionValues {
  tts?: string;
  stt?: string;
  ttsCommand?: string;
  sttCommand?: string;
}

/** --tts, --tts-command (ask --speak, talk, say) and --stt, --stt-command (ask --audio, talk, transcribe): the local speech engines. */
export function addSpeechEngineOptions(command: Command): Command {
  return addSpeechToTextEngineOptions(addTextToSpeechEngineOptions(command));
}

export function addTextToSpeechEngineOptions(command: Command): Command {
  return command
    .option('--tts <engine>', 'text-to-speech engine: openai (the server), espeak (espeak-ng), say (macOS) or command (env ASSISTANT_TTS, default openai)')
    .option('--tts-command <command>', "your text-to-speech program, e.g. 'piper --model en.onnx --output_file {out}': WAV to stdout or {out}; the text on stdin or as {text} (env ASSISTANT_TTS_COMMAND)");
}

export function addSpeechToTextEngineOptions(command: Command): Command {
  return command
    .option('--stt <engine>', 'speech-to-text engine: openai (the server) or command (env ASSISTANT_STT, default openai)')
    .option('--stt-command <command>', "your speech-to-text program, e.g. 'whisper-cli -m ggml-base.en.bin -f {file} -nt': the WAV in {file} (or on stdin), the transcript on stdout (env ASSISTANT_STT_COMMAND)");
}

/** The configuration flags the speech engine options set. */
export function speechEngineFlags(options: SpeechEngineOptionValues): ConfigFlags {
  return { tts: options.tts, stt: options.stt, ttsCommand: options.ttsCommand, sttCommand: options.sttCommand };
}
