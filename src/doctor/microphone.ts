/**
 * The microphone check: one second recorded the way `talk` records (the same SoxRecorder,
 * honouring --device / ASSISTANT_DEVICE), and its level. All zeros means a muted or absent
 * input; a very low level means talk's detector will rarely hear speech.
 */
import { decibels } from '../audio/decibels.js';
import type { Recorder } from '../audio/recorder.js';
import { RECORDING_FORMAT } from '../audio/wav.js';
import { errorMessage } from '../errors.js';
import { ok, problem, warning, type CheckResult } from './check.js';

/**
 * At or below this RMS level (dBFS) the input is silent: a muted or absent source, which SoX
 * records as zeros or as its dither alone (about -96 dBFS, one step of 16-bit audio).
 */
export const SILENT_DECIBELS = -90;
/** Below this RMS level the input is called too quiet. A quiet room through a working microphone measures about -60 to -45. */
export const TOO_QUIET_DECIBELS = -70;

const ONE_SECOND_BYTES = RECORDING_FORMAT.sampleRate * RECORDING_FORMAT.channels * 2;

export async function checkMicrophone(recorder: Recorder, device: string | undefined, signal: AbortSignal): Promise<CheckResult> {
  const input = device === undefined ? 'the default input' : `"${device}"`;
  const deviceFix = 'choose the microphone with --device (or ASSISTANT_DEVICE), unmute it and raise its volume (pavucontrol, alsamixer)';
  let audio: Buffer;
  try {
    audio = await recordOneSecond(recorder, signal);
  } catch (error) {
    return problem('microphone', `recording from ${input} failed: ${errorMessage(error)}`, deviceFix);
  }
  if (audio.length === 0) return problem('microphone', `${input} gave no audio`, deviceFix);
  const seconds = (audio.length / ONE_SECOND_BYTES).toFixed(1);
  const level = decibels(audio);
  const levelText = level <= -100 ? 'all zeros' : `${level.toFixed(0)} dBFS`;
  if (level <= SILENT_DECIBELS) return problem('microphone', `${seconds} s from ${input} is silent (${levelText}): the input is muted or not connected`, deviceFix);
  const found = `${seconds} s from ${input}, level ${levelText}`;
  if (level < TOO_QUIET_DECIBELS) return warning('microphone', `${found}: too quiet for speech to be heard`, deviceFix);
  return ok('microphone', found);
}

/** Up to one second of audio: less when the input (a file) ends first. */
async function recordOneSecond(recorder: Recorder, signal: AbortSignal): Promise<Buffer> {
  const done = new AbortController();
  const stop = (): void => done.abort();
  signal.addEventListener('abort', stop, { once: true });
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of recorder.record({ signal: done.signal })) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= ONE_SECOND_BYTES) done.abort();
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  return Buffer.concat(chunks).subarray(0, ONE_SECOND_BYTES);
}
