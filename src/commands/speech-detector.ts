/**
 * The speech detector a command uses (talk's microphone loop, push-to-talk, `ask --audio`,
 * `transcribe`), imported and loaded only when audio is at hand, so other commands never pay
 * for onnxruntime. A detector that cannot load leaves the energy rule in charge, and the
 * person is told why; `verbose` also names the active one.
 */
import type { LoadedClassifier } from '../audio/speech-detectors/load-classifier.js';
import type { SpeechClassifier } from '../audio/speech-detectors/speech-classifier.js';
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

type RecordingJudge = (pcm: Buffer) => Promise<boolean>;

/** Whether a whole recording (16 kHz mono PCM) holds speech, by this classifier (push-to-talk loads it up front). */
export function judgeRecordings(classifier: SpeechClassifier): RecordingJudge {
  return async (pcm) => {
    const { recordingHoldsSpeech } = await import('../audio/speech-detectors/recording-check.js');
    return recordingHoldsSpeech(pcm, classifier, RECORDING_FORMAT.sampleRate);
  };
}

/** The same, by the configured detector loaded on first use (ask --audio, transcribe: only when given audio). */
export function recordingJudge(settings: Settings, terminal: CommandContext['terminal']): RecordingJudge {
  let judge: Promise<RecordingJudge> | undefined;
  return async (pcm) => {
    judge ??= loadSpeechDetector(settings, false, terminal).then(({ classifier }) => judgeRecordings(classifier));
    return (await judge)(pcm);
  };
}
