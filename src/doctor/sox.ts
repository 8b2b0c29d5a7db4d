/**
 * The SoX check: `talk` records through SoX, so it must be on PATH and able to reach a sound
 * server. `sox -h` lists the audio device drivers (pulseaudio, alsa ...) this build has.
 */
import { SOX_INSTALL_HINT } from '../audio/recorder.js';
import { ok, problem, warning, type CheckResult } from './check.js';
import type { RunCommand } from './run-command.js';

export interface SoxCheckOptions {
  env: NodeJS.ProcessEnv;
  findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined;
  runCommand: RunCommand;
  signal: AbortSignal;
}

/** Drivers that reach a microphone on Linux and macOS. */
const LIVE_DRIVERS = ['pulseaudio', 'alsa', 'coreaudio'];

export async function checkSox(options: SoxCheckOptions): Promise<CheckResult> {
  const executable = options.findExecutable('sox', options.env);
  if (!executable) return problem('sox', 'SoX is not installed (no "sox" on PATH)', SOX_INSTALL_HINT);
  const help = await options.runCommand(executable, ['-h'], { env: options.env, signal: options.signal });
  if (help.error !== undefined) return problem('sox', `${executable} -h failed: ${help.error}`, SOX_INSTALL_HINT);
  const drivers = listAfter(help.output, 'AUDIO DEVICE DRIVERS:');
  const formats = listAfter(help.output, 'AUDIO FILE FORMATS:');
  const found = `${executable}; drivers: ${drivers.join(' ') || 'none'}; WAV ${formats.includes('wav') ? 'yes' : 'no'}`;
  if (!drivers.some((driver) => LIVE_DRIVERS.includes(driver))) {
    return warning('sox', `${found}: no pulseaudio or alsa driver, so SoX cannot record from a microphone`, 'Debian/Ubuntu: sudo apt install libsox-fmt-pulse libsox-fmt-alsa (or libsox-fmt-all)');
  }
  return ok('sox', found);
}

/** The words on the line of `sox -h` that starts with `heading`. */
function listAfter(help: string, heading: string): string[] {
  const line = help.split('\n').find((candidate) => candidate.startsWith(heading));
  return line ? line.slice(heading.length).trim().split(/\s+/).filter((word) => word !== '') : [];
}
