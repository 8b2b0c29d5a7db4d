/**
 * Hands-free mode's end-of-speech detection: src/audio/voice-activity.ts (talk's detector)
 * ported to the browser's Int16Array samples with the same rules and defaults, because the
 * page cannot import Node code (Buffer). An energy detector whose threshold adapts to the
 * room: the first 300 ms calibrate the noise floor, three voiced 20 ms frames start speech,
 * 300 ms of pre-roll keep the first syllable, 700 ms of silence end an utterance and less
 * than 250 ms of speech is dropped as a click or a cough. test/web/voice-activity.test.ts
 * checks it against talk's detector on the same audio.
 */

export interface VoiceActivityOptions {
  sampleRate: number;
  /** Frame length in milliseconds. Default 20. */
  frameMilliseconds?: number;
  /** Silence that ends an utterance, in milliseconds. Default 700. */
  trailingSilenceMilliseconds?: number;
  /** Voiced time below which a burst is not a turn, in milliseconds. Default 250. */
  minimumSpeechMilliseconds?: number;
  /** Audio kept from before speech began, in milliseconds. Default 300. */
  preRollMilliseconds?: number;
  /** An utterance is cut here even if speech goes on, in milliseconds. Default 30000. */
  maximumUtteranceMilliseconds?: number;
  /** How far above the noise floor a voiced frame must be, in dB. Default 12. */
  marginDecibels?: number;
  /** Frames quieter than this are never speech, in dBFS. Default -55. */
  absoluteFloorDecibels?: number;
  /** The first audio, taken as the room's noise and never as speech, in milliseconds. Default 300. */
  calibrationMilliseconds?: number;
}

export type VoiceActivityEvent =
  | { type: 'speech-start' }
  /** A complete utterance: samples including pre-roll and the trailing silence that ended it. */
  | { type: 'utterance'; samples: Int16Array; speechMilliseconds: number; reason: 'silence' | 'maximum-length' }
  | { type: 'discarded'; speechMilliseconds: number };

export class VoiceActivityDetector {
  private readonly frameSamples: number;
  private readonly options: Required<VoiceActivityOptions>;
  private pending = new Int16Array(0);
  private preRoll: Int16Array[] = [];
  private utterance: Int16Array[] = [];
  private inSpeech = false;
  private voicedRun = 0;
  private silentRun = 0;
  private voicedTotal = 0;
  private utteranceFrames = 0;
  private noiseFloor = -60;
  private framesSeen = 0;

  constructor(options: VoiceActivityOptions) {
    this.options = {
      frameMilliseconds: 20,
      trailingSilenceMilliseconds: 700,
      minimumSpeechMilliseconds: 250,
      preRollMilliseconds: 300,
      maximumUtteranceMilliseconds: 30_000,
      marginDecibels: 12,
      absoluteFloorDecibels: -55,
      calibrationMilliseconds: 300,
      ...options,
    };
    this.frameSamples = Math.round((this.options.sampleRate * this.options.frameMilliseconds) / 1000);
  }

  get threshold(): number {
    return Math.max(this.noiseFloor + this.options.marginDecibels, this.options.absoluteFloorDecibels);
  }

  /** True between speech-start and the end of that utterance. */
  get speaking(): boolean {
    return this.inSpeech;
  }

  push(chunk: Int16Array): VoiceActivityEvent[] {
    const events: VoiceActivityEvent[] = [];
    const joined = new Int16Array(this.pending.length + chunk.length);
    joined.set(this.pending);
    joined.set(chunk, this.pending.length);
    let offset = 0;
    while (offset + this.frameSamples <= joined.length) {
      const event = this.frame(joined.slice(offset, offset + this.frameSamples));
      offset += this.frameSamples;
      if (event) events.push(event);
    }
    this.pending = joined.slice(offset);
    return events;
  }

  private frame(frame: Int16Array): VoiceActivityEvent | undefined {
    const level = decibels(frame);
    this.framesSeen += 1;
    const ms = this.options.frameMilliseconds;
    const calibrating = this.framesSeen * ms <= this.options.calibrationMilliseconds;
    const voiced = !calibrating && level > this.threshold;
    if (!voiced) this.noiseFloor += (level - this.noiseFloor) * (calibrating ? 0.3 : 0.02);

    if (!this.inSpeech) {
      this.preRoll.push(frame);
      if (this.preRoll.length > Math.ceil(this.options.preRollMilliseconds / ms) + 3) this.preRoll.shift();
      this.voicedRun = voiced ? this.voicedRun + 1 : 0;
      if (this.voicedRun < 3) return undefined;
      this.inSpeech = true;
      this.utterance = [...this.preRoll];
      this.utteranceFrames = this.utterance.length;
      this.preRoll = [];
      this.voicedTotal = this.voicedRun;
      this.silentRun = 0;
      return { type: 'speech-start' };
    }

    this.utterance.push(frame);
    this.utteranceFrames += 1;
    if (voiced) {
      this.voicedTotal += 1;
      this.silentRun = 0;
    } else {
      this.silentRun += 1;
    }
    const speechMilliseconds = this.voicedTotal * ms;
    if (this.silentRun * ms >= this.options.trailingSilenceMilliseconds) return this.finish(speechMilliseconds, 'silence');
    if (this.utteranceFrames * ms >= this.options.maximumUtteranceMilliseconds) return this.finish(speechMilliseconds, 'maximum-length');
    return undefined;
  }

  private finish(speechMilliseconds: number, reason: 'silence' | 'maximum-length'): VoiceActivityEvent {
    const frames = this.utterance;
    this.reset();
    if (speechMilliseconds < this.options.minimumSpeechMilliseconds) return { type: 'discarded', speechMilliseconds };
    const samples = new Int16Array(frames.reduce((total, frame) => total + frame.length, 0));
    let offset = 0;
    for (const frame of frames) {
      samples.set(frame, offset);
      offset += frame.length;
    }
    return { type: 'utterance', samples, speechMilliseconds, reason };
  }

  /** Forgets any utterance in progress. */
  reset(): void {
    this.inSpeech = false;
    this.utterance = [];
    this.preRoll = [];
    this.voicedRun = 0;
    this.silentRun = 0;
    this.voicedTotal = 0;
    this.utteranceFrames = 0;
  }
}

/** RMS level in dBFS (-100 for digital silence), as talk's decibels(). */
export function decibels(frame: Int16Array): number {
  if (frame.length === 0) return -100;
  let sum = 0;
  for (const sample of frame) sum += sample * sample;
  const rms = Math.sqrt(sum / frame.length) / 32768;
  return rms <= 0.00001 ? -100 : 20 * Math.log10(rms);
}
