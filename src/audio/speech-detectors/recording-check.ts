/**
 * Whether a whole recording (push-to-talk, `ask --audio`, `transcribe`) holds speech, judged
 * by the same detector as hands-free talk: Silero by default, so a fan switched on, running
 * water or music is refused as the microphone loop refuses it, before a transcriber invents
 * words for it. The energy rule, when it is the detector, judges the recording against its
 * own quietest tenth instead (containsSpeech), which knows the room from the whole file.
 */
import { VoiceActivityDetector, containsSpeech } from '../voice-activity.js';
import { EnergyClassifier } from './energy.js';
import type { SpeechClassifier } from './speech-classifier.js';

/** Fed to the detector as a microphone would: 100 ms at a time. */
const CHUNK_MILLISECONDS = 100;

export async function recordingHoldsSpeech(pcm: Buffer, classifier: SpeechClassifier, sampleRate: number): Promise<boolean> {
  if (classifier instanceof EnergyClassifier) return containsSpeech(pcm, sampleRate);
  classifier.reset();
  // The segmenter's rules as in talk: a few hundred ms of speech frames make a turn, a click or a cough does not.
  const detector = new VoiceActivityDetector({ sampleRate, classifier, maximumUtteranceMilliseconds: Number.MAX_SAFE_INTEGER });
  const chunkBytes = Math.round((sampleRate * CHUNK_MILLISECONDS) / 1000) * 2;
  for (let offset = 0; offset < pcm.length; offset += chunkBytes) {
    const chunk = pcm.subarray(offset, offset + chunkBytes);
    await detector.analyse(chunk);
    if (detector.push(chunk).some((event) => event.type === 'utterance')) return true;
  }
  return detector.end()?.type === 'utterance';
}
