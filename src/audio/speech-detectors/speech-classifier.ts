/**
 * What decides, frame by frame, whether a frame of audio is speech. The segmenter
 * (VoiceActivityDetector) turns these decisions into turns; a classifier only answers
 * "speech or not" for one frame, so an energy rule and a neural model are interchangeable.
 */
export interface SpeechClassifier {
  /** Shown in `talk --verbose` and `assistant config`: 'energy', 'webrtc', ... */
  readonly name: string;
  /**
   * One frame of 16-bit little-endian mono PCM at the segmenter's sample rate and frame
   * length (20 ms by default). Synchronous so the segmenter's push() stays synchronous.
   */
  isSpeech(frame: Buffer): boolean;
  /**
   * For a classifier whose model runs asynchronously (Silero through onnxruntime): work out
   * a chunk's decisions ahead. The caller awaits it with each chunk, in order, before
   * push()ing that chunk to the segmenter; then isSpeech() answers synchronously.
   */
  analyse?(chunk: Buffer): Promise<void>;
  /** Forgets the stream heard so far: what comes next is a new recording (push-to-talk's next one). */
  reset(): void;
}
