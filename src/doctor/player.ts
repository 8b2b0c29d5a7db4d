/**
 * The player check: the configured player (--player / ASSISTANT_PLAYER, as talk and
 * `ask --speak` choose it) is installed and plays a fifth of a second of silence, which
 * proves it reaches a sound server without making a sound.
 */
import type { Player } from '../audio/player.js';
import { RECORDING_FORMAT } from '../audio/wav.js';
import { errorMessage } from '../errors.js';
import { ok, problem, warning, type CheckResult } from './check.js';

/** Players that take a WAV file without complaint and play silence or noise. */
const PLAYS_WAV_WRONGLY = new Set(['mpg123', 'mpg321']);

export async function checkPlayer(name: string, makePlayer: () => Player, signal: AbortSignal): Promise<CheckResult> {
  if (PLAYS_WAV_WRONGLY.has(name.split('/').pop()!)) {
    return warning('player', `${name} plays WAV as silence or noise`, 'choose play (SoX) or paplay with --player or ASSISTANT_PLAYER');
  }
  let player: Player;
  try {
    player = makePlayer();
  } catch (error) {
    return problem('player', errorMessage(error), 'choose an installed player with --player or ASSISTANT_PLAYER (play, paplay, aplay), or use --mute');
  }
  const sink = player.open(RECORDING_FORMAT);
  const stop = (): void => void sink.stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await sink.write(Buffer.alloc((RECORDING_FORMAT.sampleRate / 5) * 2));
    await sink.endClip();
    await sink.finish();
  } catch (error) {
    return problem('player', `${player.name} could not play: ${errorMessage(error)}`, 'start the sound server (pulseaudio --start) or choose another player with --player');
  } finally {
    signal.removeEventListener('abort', stop);
  }
  return ok('player', `${player.name} plays WAV`);
}
