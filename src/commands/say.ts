/**
 * `assistant say "text"`: text to speech as a Unix tool. The text is spoken sentence by
 * sentence through the same speech queue, synthesizer and speech cache as talk's replies
 * (a sentence talk has spoken is not synthesized again); with --out the audio goes to a WAV
 * file instead of the player.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Player } from '../audio/player.js';
import { commandCache } from './command-cache.js';
import { AssistantError, ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import { checkInputSize, readPipedInput } from '../input/prompt-input.js';
import { CollectingPlayer } from '../server/collecting-player.js';
import { ReplySpeaker } from '../voice/reply-speaker.js';
import type { CommandContext } from './context.js';

export interface SayOptions {
  /** The words of the argument; piped text comes first when both are given. */
  text: string[];
  /** A WAV file to write instead of playing. */
  out?: string;
  /** False: neither read nor write the speech cache. */
  cache: boolean;
}

export async function say(options: SayOptions, context: CommandContext): Promise<ExitCodeValue> {
  const { values } = context.config;
  const argument = options.text.join(' ').trim();
  const piped = argument === '' ? await readPipedInput(context.stdin, values.maxInputBytes) : undefined;
  const text = checkInputSize((argument || piped || '').trim(), values.maxInputBytes, 'The text');
  if (text === '') throw usageError('Nothing to say. Give the text as an argument (assistant say "hello") or pipe text in.');

  const synthesizer = context.synthesizer();
  const collecting = options.out === undefined ? undefined : new CollectingPlayer();
  const player: Player = collecting ?? context.player('write a file with --out instead');
  const store = await context.openStore();
  const cache = commandCache(store, context, options.cache);
  const stopping = new AbortController();
  const stopListening = context.onInterrupt(() => stopping.abort());
  const speaker = new ReplySpeaker({
    synthesizer,
    cache,
    player,
    settings: { model: values.ttsModel, voice: values.voice, speed: values.speed },
    signal: stopping.signal,
  });
  try {
    speaker.text(text);
    await speaker.settle({ answer: text, status: 'complete' });
  } finally {
    stopListening();
  }
  if (stopping.signal.aborted) return ExitCode.Interrupted;
  if (speaker.failure !== undefined) throw speechFailure(speaker.failure);
  if (collecting !== undefined && options.out !== undefined) {
    const wav = collecting.wav();
    if (wav === undefined) throw new AssistantError('Nothing was spoken: the text has no words a voice can say.');
    const path = resolve(context.cwd, options.out);
    try {
      writeFileSync(path, wav);
    } catch (error) {
      throw new AssistantError(`Cannot write ${options.out}: ${(error as Error).message}.`);
    }
    context.terminal.note(`Wrote ${options.out} (${(wav.length / 1024).toFixed(0)} kB).`);
  }
  return ExitCode.Success;
}

function speechFailure(failure: unknown): AssistantError {
  if (failure instanceof AssistantError) return failure;
  return new AssistantError(`Speaking failed: ${failure instanceof Error ? failure.message : String(failure)}`);
}
