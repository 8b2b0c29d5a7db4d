/**
 * Speech-to-text by the person's own program (`--stt-command 'whisper-cli -m base.en.bin -f {file} -nt'`,
 * pocketsphinx, vosk...): the utterance is written to a temporary WAV named by `{file}` (or
 * piped to stdin when the command has no `{file}`), and what the program prints is the
 * transcript. The utterance has already passed the speech detector, as with the API engine.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { ProcessRuntime } from '../audio/process-launcher.js';
import { parseWavHeader, pcmSeconds } from '../audio/wav.js';
import { fillPlaceholders, mentions, type CommandLine } from './command-line.js';
import { LOCAL_TIMEOUT_FACTOR, runProgram } from './run-program.js';
import type { Transcriber, TranscriptionRequest } from './speech-models.js';

/** Markers local recognizers print for audio without words; they are not something said. */
const NON_SPEECH = /\[(?:BLANK_AUDIO|\s*silence\s*|MUSIC|NOISE|inaudible)\]|\((?:silence|inaudible)\)|<\/?s>|<sil>/gi;

export interface CommandTranscriberOptions {
  executable: string;
  command: CommandLine;
  env: NodeJS.ProcessEnv;
  runtime: ProcessRuntime;
  /** How long one utterance may take (runProgram). */
  timeoutMilliseconds: number;
}

export class CommandTranscriber implements Transcriber {
  /** The engine and its command: cached transcripts are never shared between engines. */
  readonly baseURL: string;

  constructor(private readonly options: CommandTranscriberOptions) {
    this.baseURL = `--stt-command:${JSON.stringify([options.command.program, ...options.command.args])}`;
  }

  async transcribe(request: TranscriptionRequest, { signal }: { signal?: AbortSignal }): Promise<{ text: string }> {
    const { command } = this.options;
    const toFile = mentions(command, '{file}');
    const directory = toFile ? await mkdtemp(join(tmpdir(), 'assistant-stt-')) : undefined;
    try {
      const file = directory ? join(directory, `utterance${extname(request.filename) || '.wav'}`) : '';
      if (directory) await writeFile(file, request.audio, { mode: 0o600 });
      const output = await runProgram(
        {
          executable: this.options.executable,
          args: fillPlaceholders(command, { file }),
          ...(toFile ? {} : { input: request.audio }),
          env: this.options.env,
          signal,
          label: '--stt-command',
          // A whole file (transcribe, ask --audio) may be long: 4 × its length, when that is more.
          timeoutMilliseconds: Math.max(this.options.timeoutMilliseconds, LOCAL_TIMEOUT_FACTOR * 1000 * roughSeconds(request.audio)),
        },
        this.options.runtime,
      );
      return { text: cleanTranscript(output.toString('utf8')) };
    } finally {
      if (directory) await rm(directory, { recursive: true, force: true });
    }
  }
}

/**
 * How long the audio plays: a WAV's own length; for a compressed file, its size at 32 kbit/s
 * (more than it plays at the usual bit rates, so the time allowed errs long).
 */
function roughSeconds(audio: Uint8Array): number {
  try {
    const header = parseWavHeader(audio);
    if (header) return pcmSeconds(audio.byteLength - header.dataOffset, header.format);
  } catch {
    // Not a WAV.
  }
  return audio.byteLength / 4000;
}

/** One line of words: recognizers print one line per segment, and markers for silence. */
export function cleanTranscript(output: string): string {
  return output.replace(NON_SPEECH, ' ').replace(/\s+/g, ' ').trim();
}
