/**
 * The speech detector a command uses (talk's microphone loop, push-to-talk, `ask --audio`,
 * `transcribe`), imported and loaded only when audio is at hand, so other commands never pay
 * for onnxruntime. A detector that cannot load leaves the energy rule in charge, and the
 * person is told why; `verbose` also names the active one.
 */
import type { LoadedClassifier } from '../audio/speech-detectors/load-classifier.js';
import { RECORDING_FORMAT } from '../audio/wav.js';
import type { CommandContext } from './context.js';

type Settings = Pick<CommandContext['config']['values'], 'detector' | 'detectorModel'>;

export async function loadSpeechDetector(settings: Settings, verbose: boolean, terminal: CommandContext['terminal']): Promise<LoadedClassifier> {
  const { loadSpeechClassifier } = await import('../audio/speech-detectors/load-classifier.js');
  const loaded = await loadSpeechClassifier({ choice: settings.detector, sampleRate: RECORDING_FORMAT.sampleRate, modelPath: settings.detectorModel });
  if (loaded.fallback) terminal.note(`Note: ${loaded.fallback}; using the energy detector.`);
  if (verbose) terminal.note(`Speech detector: ${loaded.description}`);
  return loaded;
}

/** Whether a whole recording (16 kHz mono PCM) holds speech, by the configured detector, loaded on first use. */
export function recordingJudge(settings: Settings, terminal: CommandContext['terminal']): (pcm: Buffer) => Promise<boolean> {
  let loading: Promise<LoadedClassifier> | undefined;
  return async (pcm) => {
    loading ??= loadSpeechDetector(settings, false, terminal);
    const { classifier } = await loading;
    const { recordingHoldsSpeech } = await import('../audio/speech-detectors/recording-check.js');
    return recordingHoldsSpeech(pcm, classifier, RECORDING_FORMAT.sampleRate);
  };
}
