/**
 * Chromium from Debian (/usr/bin/chromium, installed by .ci/run; nothing downloads a
 * browser) driven by playwright-core, with a fake microphone that plays a WAV file once, and
 * the speech for that file made here with espeak-ng: leading silence (the detector's
 * calibration), the words, then silence long enough that nothing else is heard in a test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { decibels } from '../../src/audio/voice-activity.js';
import { parseWavHeader } from '../../src/audio/wav.js';

export const CHROMIUM = process.env.ASSISTANT_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the browser tests can run here; in CI (CI=true) they must. */
export const BROWSER_AVAILABLE = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!BROWSER_AVAILABLE) console.warn(`\n[browser tests] skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set ASSISTANT_CHROMIUM).\n`);

export interface SpokenWav {
  path: string;
  /** Where the words end in the file, in milliseconds from its start. */
  speechEndMilliseconds: number;
  remove(): void;
}

/** `text` spoken by espeak-ng, as 48 kHz mono 16-bit with `leadingSeconds` of silence before and `trailingSeconds` after. */
export function spokenWav(text: string, { leadingSeconds = 1, trailingSeconds = 10 } = {}): SpokenWav {
  const directory = mkdtempSync(join(tmpdir(), 'assistant-web-mic-'));
  const raw = join(directory, 'espeak.wav');
  const path = join(directory, 'microphone.wav');
  execFileSync('espeak-ng', ['-w', raw, text]);
  execFileSync('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', path, 'pad', String(leadingSeconds), String(trailingSeconds)]);
  return { path, speechEndMilliseconds: lastVoicedMilliseconds(readFileSync(path)), remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/** The end of the last 20 ms frame louder than -50 dBFS: where the words end (espeak-ng adds a quiet tail of its own). */
function lastVoicedMilliseconds(wav: Buffer): number {
  const header = parseWavHeader(wav)!;
  const frameBytes = (header.format.sampleRate / 50) * 2;
  let last = 0;
  for (let offset = header.dataOffset, frame = 1; offset + frameBytes <= wav.length; offset += frameBytes, frame += 1) {
    if (decibels(wav.subarray(offset, offset + frameBytes)) > -50) last = frame * 20;
  }
  return last;
}

/** Headless Chromium whose microphone plays `wav` once, from when the page opens it; the page may use it unless `microphoneDenied`. */
export function launchBrowser(wav: string, { microphoneDenied = false } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      // Root in a container has no user namespaces for the sandbox.
      '--no-sandbox',
      // Answers the permission prompt with "allow"; without it, headless Chromium denies.
      ...(microphoneDenied ? [] : ['--use-fake-ui-for-media-stream']),
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}%noloop`,
      // Answers play after awaited requests, not inside the click's task.
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}
