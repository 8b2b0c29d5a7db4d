/**
 * Text-to-speech by a local program, one run per sentence (the speech queue asks sentence by
 * sentence, as it does the API engine): espeak-ng, macOS `say`, or the person's own command
 * (`--tts-command 'piper --model en.onnx --output_file {out}'`). The program writes a WAV to
 * stdout, or to the file `{out}`; the text goes on stdin, or as the one argument `{text}`.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessRuntime } from '../audio/process-launcher.js';
import { parseWavHeader } from '../audio/wav.js';
import { AssistantError } from '../errors.js';
import { fillPlaceholders, mentions, type CommandLine } from './command-line.js';
import { MAX_OUTPUT_BYTES, runProgram } from './run-program.js';
import type { SpeechRequest, Synthesizer } from './speech-models.js';

export interface ProgramSynthesizerOptions {
  /** Who it is in the cache key and in errors: "espeak-ng", "say", "--tts-command". */
  label: string;
  /** The program's full path and its argument template ({out} and {text} are filled per sentence). */
  executable: string;
  command: CommandLine;
  /** The arguments for the request's voice and speed (a preset's -v/-s); none for a person's command. */
  voiceArguments?: (request: SpeechRequest) => string[];
  env: NodeJS.ProcessEnv;
  runtime: ProcessRuntime;
  /** How long one sentence may take (runProgram). */
  timeoutMilliseconds: number;
}

export class ProgramSynthesizer implements Synthesizer {
  /** Not a server: the engine and its command, so cached speech is never shared between engines. */
  readonly baseURL: string;

  constructor(private readonly options: ProgramSynthesizerOptions) {
    this.baseURL = `${options.label}:${JSON.stringify([options.command.program, ...options.command.args])}`;
  }

  async synthesize(request: SpeechRequest, { signal }: { signal?: AbortSignal }): Promise<AsyncIterable<Uint8Array>> {
    const { command, label } = this.options;
    const toFile = mentions(command, '{out}');
    const directory = toFile ? await mkdtemp(join(tmpdir(), 'assistant-tts-')) : undefined;
    try {
      const out = directory ? join(directory, 'speech.wav') : '';
      const args = [...fillPlaceholders(command, { out, text: request.text }), ...(this.options.voiceArguments?.(request) ?? [])];
      const stdout = await runProgram(
        {
          executable: this.options.executable,
          args,
          // With {text} the text is an argument; otherwise the program reads it on stdin.
          ...(mentions(command, '{text}') ? {} : { input: request.text }),
          env: this.options.env,
          signal,
          label,
          timeoutMilliseconds: this.options.timeoutMilliseconds,
        },
        this.options.runtime,
      );
      const audio = toFile ? await readOutput(out, label) : stdout;
      checkWav(audio, label);
      return (async function* () {
        yield audio;
      })();
    } finally {
      if (directory) await rm(directory, { recursive: true, force: true });
    }
  }
}

async function readOutput(file: string, label: string): Promise<Buffer> {
  let bytes: number;
  try {
    bytes = (await stat(file)).size;
  } catch {
    throw new AssistantError(`${label} exited without writing {out} (${file}); check that the command writes its WAV there.`);
  }
  // As on stdout (runProgram): one sentence's WAV is far smaller; a runaway file is not read into memory.
  if (bytes > MAX_OUTPUT_BYTES) throw new AssistantError(`${label} wrote ${Math.round(bytes / 1024 / 1024)} MB to {out}, more than the ${MAX_OUTPUT_BYTES / 1024 / 1024} MB one sentence's WAV may take. Check the command.`);
  return readFile(file);
}

/** Empty or non-WAV output is the command's mistake: say so instead of playing noise. */
function checkWav(audio: Buffer, label: string): void {
  if (audio.byteLength === 0) throw new AssistantError(`${label} produced no audio (empty output). It must write a WAV to stdout, or to {out}.`);
  let header;
  try {
    header = parseWavHeader(audio);
  } catch (error) {
    throw new AssistantError(`${label} did not produce a PCM WAV (${(error as Error).message}).`);
  }
  if (!header) throw new AssistantError(`${label} produced a truncated WAV (${audio.byteLength} bytes).`);
}
