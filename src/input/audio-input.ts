/** Audio given to `ask --audio <file|->`: read, bounded, and checked for speech before upload. */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseWavHeader } from '../audio/wav.js';
import { AssistantError, usageError } from '../errors.js';
import type { InputStream } from './prompt-input.js';

/** The transcription endpoint's upload limit. */
export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;

export interface AudioInput {
  audio: Buffer;
  /** The name sent with the upload; its extension tells the server the format. */
  filename: string;
}

export async function readAudioInput(source: string, stdin: InputStream): Promise<AudioInput> {
  let audio: Buffer;
  let filename: string;
  if (source === '-') {
    if (stdin.isTTY) throw usageError('--audio - reads audio from stdin, but stdin is a terminal. Pipe a file in: assistant ask --audio - < memo.wav');
    audio = await readBytes(stdin);
    filename = `audio.${sniffExtension(audio)}`;
  } else {
    try {
      if (statSync(source).size > MAX_AUDIO_BYTES) throw tooLarge(statSync(source).size);
      audio = readFileSync(source);
    } catch (error) {
      if (error instanceof AssistantError) throw error;
      throw usageError(`Cannot read the audio file ${source}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
    }
    filename = extname(source) ? basename(source) : `${basename(source)}.${sniffExtension(audio)}`;
  }
  if (audio.length === 0) throw usageError('The audio is empty: nothing to transcribe.');
  if (audio.length > MAX_AUDIO_BYTES) throw tooLarge(audio.length);
  return { audio, filename };
}

/**
 * Refuses audio that holds no speech (a transcriber would invent words for silence, a fan or
 * music) or is not audio at all, judged by `holdsSpeech` (the configured speech detector) on
 * 16 kHz mono PCM. WAV is read directly; other formats are decoded with SoX when it is installed.
 */
export async function checkSpeech(input: AudioInput, holdsSpeech: (pcm: Buffer) => Promise<boolean>): Promise<void> {
  const pcm = decodeToPcm(input);
  if (pcm === undefined) return;
  if (!(await holdsSpeech(pcm))) {
    throw usageError(`${input.filename} holds no speech (silence, or sound without words), so it was not sent for transcription.`);
  }
}

function decodeToPcm({ audio, filename }: AudioInput): Buffer | undefined {
  const extension = extname(filename).slice(1).toLowerCase();
  if (extension === 'wav' && audio.subarray(0, 4).toString('ascii') === 'RIFF') {
    try {
      const header = parseWavHeader(audio);
      if (header && header.format.bitsPerSample === 16 && header.format.channels === 1 && header.format.sampleRate === 16_000) {
        return audio.subarray(header.dataOffset);
      }
    } catch {
      // Fall through to SoX, which reads more kinds of WAV.
    }
  }
  const sox = spawnSync('sox', ['-q', '-V1', '-t', extension || 'wav', '-', '-t', 'raw', '-r', '16000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-'], {
    input: audio,
    maxBuffer: 512 * 1024 * 1024,
  });
  if (sox.error) return undefined; // no SoX: let the server judge
  if (sox.status !== 0) {
    const reason = sox.stderr.toString('utf8').replace(/\s+/g, ' ').trim();
    throw usageError(`${filename} is not audio that can be read${reason ? ` (${reason})` : ''}.`);
  }
  return sox.stdout;
}

function tooLarge(bytes: number): AssistantError {
  return usageError(
    `The audio is ${(bytes / 1024 / 1024).toFixed(1)} MB, over the 25 MB upload limit. Shorten or compress it, e.g. sox in.wav -r 16000 -c 1 out.flac.`,
  );
}

async function readBytes(stdin: InputStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buffer.length;
    if (total > MAX_AUDIO_BYTES) throw tooLarge(total);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function sniffExtension(audio: Buffer): string {
  const magic = audio.subarray(0, 4).toString('latin1');
  if (magic === 'RIFF') return 'wav';
  if (magic === 'OggS') return 'ogg';
  if (magic === 'fLaC') return 'flac';
  if (magic.startsWith('ID3') || (audio[0] === 0xff && ((audio[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  return 'wav';
}

