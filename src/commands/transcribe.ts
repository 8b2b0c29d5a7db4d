/**
 * `assistant transcribe <file>`: speech to text as a Unix tool. The same checks as
 * `ask --audio` (readable, under the upload limit, holds speech), the same transcriber and
 * transcription cache as talk; the transcript alone goes to stdout.
 */
import { commandCache } from './command-cache.js';
import { AssistantError, ExitCode, type ExitCodeValue } from '../errors.js';
import { checkSpeech, readAudioInput } from '../input/audio-input.js';
import { transcribeCached } from '../voice/transcribe.js';
import type { CommandContext } from './context.js';
import { recordingJudge } from './speech-detector.js';

export interface TranscribeOptions {
  /** A path, or "-" for stdin. */
  file: string;
  /** False: neither read nor write the transcription cache. */
  cache: boolean;
  json: boolean;
}

export async function transcribe(options: TranscribeOptions, context: CommandContext): Promise<ExitCodeValue> {
  const { values } = context.config;
  const audio = await readAudioInput(options.file, context.stdin);
  // Silence would come back as invented words: it is refused before anything is sent.
  await checkSpeech(audio, recordingJudge(values, context.terminal));
  const transcriber = context.transcriber();
  const store = await context.openStore();
  const cache = commandCache(store, context, options.cache);
  const stopping = new AbortController();
  const stopListening = context.onInterrupt(() => stopping.abort());
  let result: { text: string; cached: boolean };
  try {
    result = await transcribeCached(audio.audio, audio.filename, { transcriber, cache, model: values.sttModel, language: values.language, signal: stopping.signal });
  } catch (error) {
    if (stopping.signal.aborted) return ExitCode.Interrupted;
    throw error;
  } finally {
    stopListening();
  }
  if (options.json) {
    context.terminal.json({ file: options.file, text: result.text, model: values.sttModel, cached: result.cached });
    return ExitCode.Success;
  }
  if (result.text === '') throw new AssistantError(`No words were recognised in ${audio.filename}.`);
  context.terminal.line(result.text);
  return ExitCode.Success;
}
