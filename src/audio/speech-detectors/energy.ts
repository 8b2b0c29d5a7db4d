/**
 * The energy rule: a frame is speech when it is clearly louder than the room. It learns the
 * noise floor from the quiet frames (fast at first, then slowly, so a pause in speech barely
 * moves it) and never calls the first calibration frames speech.
 */
import { decibels } from '../decibels.js';
import type { SpeechClassifier } from './speech-classifier.js';

export interface EnergyClassifierOptions {
  /** Frame length in milliseconds, to count the calibration time. Default 20. */
  frameMilliseconds?: number;
  /** How far above the noise floor a voiced frame must be, in dB. Default 12. */
  marginDecibels?: number;
  /** Frames quieter than this are never speech, in dBFS. Default -55. */
  absoluteFloorDecibels?: number;
  /** The first audio, taken as the room's noise and never as speech, in milliseconds. Default 300. */
  calibrationMilliseconds?: number;
}

/** Where the noise floor estimate starts, in dBFS: quieter than any room. */
const INITIAL_NOISE_FLOOR = -60;

export class EnergyClassifier implements SpeechClassifier {
  readonly name = 'energy';
  private readonly options: Required<EnergyClassifierOptions>;
  /** Noise floor estimate in dBFS; starts pessimistic and settles within a few hundred ms. */
  private noiseFloor = INITIAL_NOISE_FLOOR;
  private framesSeen = 0;

  constructor(options: EnergyClassifierOptions = {}) {
    this.options = { frameMilliseconds: 20, marginDecibels: 12, absoluteFloorDecibels: -55, calibrationMilliseconds: 300, ...options };
  }

  get threshold(): number {
    return Math.max(this.noiseFloor + this.options.marginDecibels, this.options.absoluteFloorDecibels);
  }

  reset(): void {
    this.noiseFloor = INITIAL_NOISE_FLOOR;
    this.framesSeen = 0;
  }

  isSpeech(frame: Buffer): boolean {
    const level = decibels(frame);
    this.framesSeen += 1;
    const calibrating = this.framesSeen * this.options.frameMilliseconds <= this.options.calibrationMilliseconds;
    const voiced = !calibrating && level > this.threshold;
    if (!voiced) {
      const rate = calibrating ? 0.3 : 0.02;
      this.noiseFloor += (level - this.noiseFloor) * rate;
    }
    return voiced;
  }
}
