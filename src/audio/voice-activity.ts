/**
 * End-of-speech detection on 16-bit PCM frames: an energy detector whose threshold adapts
 * to the room. It learns the noise floor from the quiet frames, calls a frame "voiced"
 * when it is clearly louder than that floor, and cuts an utterance after enough trailing
 * silence. Short bursts (clicks, coughs) are dropped; a pre-roll keeps first syllables.
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
  /** A complete utterance: PCM including pre-roll and the trailing silence that ended it. */
  | { type: 'utterance'; pcm: Buffer; speechMilliseconds: number; reason: 'silence' | 'maximum-length' | 'end-of-input' }
  /** Speech too short to be a turn. */
  | { type: 'discarded'; speechMilliseconds: number };

export class VoiceActivityDetector {
  readonly frameBytes: number;
  private readonly frameMilliseconds: number;
  private readonly options: Required<VoiceActivityOptions>;
  private pending: Buffer = Buffer.alloc(0);
  private preRoll: Buffer[] = [];
  private utterance: Buffer[] = [];
  private inSpeech = false;
  private voicedRun = 0;
  private silentRun = 0;
  private voicedTotal = 0;
  private utteranceFrames = 0;
  /** Noise floor estimate in dBFS; starts pessimistic and settles within a few hundred ms. */
  private noiseFloor = -60;
  private framesSeen = 0;
  /** The level of the last frame in dBFS, for a level meter. */
  lastLevel = -100;

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
    this.frameMilliseconds = this.options.frameMilliseconds;
    this.frameBytes = Math.round((this.options.sampleRate * this.frameMilliseconds) / 1000) * 2;
  }

  get threshold(): number {
    return Math.max(this.noiseFloor + this.options.marginDecibels, this.options.absoluteFloorDecibels);
  }

  /** Feeds any amount of PCM; returns what happened in it. */
  push(chunk: Buffer): VoiceActivityEvent[] {
    const events: VoiceActivityEvent[] = [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    while (offset + this.frameBytes <= this.pending.length) {
      const frame = this.pending.subarray(offset, offset + this.frameBytes);
      offset += this.frameBytes;
      const event = this.frame(Buffer.from(frame));
      if (event) events.push(event);
    }
    this.pending = this.pending.subarray(offset);
    return events;
  }

  private frame(frame: Buffer): VoiceActivityEvent | undefined {
    const level = decibels(frame);
    this.lastLevel = level;
    this.framesSeen += 1;
    const ms = this.frameMilliseconds;
    const calibrating = this.framesSeen * ms <= this.options.calibrationMilliseconds;
    const voiced = !calibrating && level > this.threshold;
    if (!voiced) this.learnNoise(level, calibrating);

    if (!this.inSpeech) {
      this.preRoll.push(frame);
      const keep = Math.ceil(this.options.preRollMilliseconds / ms) + 3;
      if (this.preRoll.length > keep) this.preRoll.shift();
      this.voicedRun = voiced ? this.voicedRun + 1 : 0;
      // Three voiced frames in a row (60 ms) start speech; a single pop does not.
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
    if (this.silentRun * ms >= this.options.trailingSilenceMilliseconds) {
      return this.finish(speechMilliseconds, 'silence');
    }
    if (this.utteranceFrames * ms >= this.options.maximumUtteranceMilliseconds) {
      return this.finish(speechMilliseconds, 'maximum-length');
    }
    return undefined;
  }

  /** The input has ended (a file ran out): an utterance in progress is complete as it is. */
  end(): VoiceActivityEvent | undefined {
    if (!this.inSpeech) return undefined;
    return this.finish(this.voicedTotal * this.frameMilliseconds, 'end-of-input');
  }

  private finish(speechMilliseconds: number, reason: 'silence' | 'maximum-length' | 'end-of-input'): VoiceActivityEvent {
    const pcm = Buffer.concat(this.utterance);
    this.reset();
    if (speechMilliseconds < this.options.minimumSpeechMilliseconds) return { type: 'discarded', speechMilliseconds };
    return { type: 'utterance', pcm, speechMilliseconds, reason };
  }

  /** Forgets any utterance in progress (e.g. when the assistant starts speaking). */
  reset(): void {
    this.inSpeech = false;
    this.utterance = [];
    this.preRoll = [];
    this.voicedRun = 0;
    this.silentRun = 0;
    this.voicedTotal = 0;
    this.utteranceFrames = 0;
  }

  private learnNoise(level: number, calibrating: boolean): void {
    // Fast while calibrating, then slow, so a pause in speech barely moves it.
    const rate = calibrating ? 0.3 : 0.02;
    this.noiseFloor += (level - this.noiseFloor) * rate;
  }
}

/** RMS level of 16-bit little-endian PCM in dBFS (-100 for digital silence). */
export function decibels(frame: Buffer): number {
  const samples = frame.length >> 1;
  if (samples === 0) return -100;
  let sum = 0;
  for (let index = 0; index < samples; index += 1) {
    const sample = frame.readInt16LE(index * 2);
    sum += sample * sample;
  }
  const rms = Math.sqrt(sum / samples) / 32768;
  return rms <= 0.00001 ? -100 : 20 * Math.log10(rms);
}

/**
 * True when a whole recording holds speech: at least `minimumSpeechMilliseconds` of frames
 * clearly louder than its own quietest tenth (its noise floor) and than -55 dBFS. Silence
 * and steady noise never reach a transcriber, which would invent words for them.
 */
export function containsSpeech(pcm: Buffer, sampleRate: number, { minimumSpeechMilliseconds = 250, marginDecibels = 12, absoluteFloorDecibels = -55 } = {}): boolean {
  const frameBytes = Math.round(sampleRate / 50) * 2;
  const levels: number[] = [];
  for (let offset = 0; offset + frameBytes <= pcm.length; offset += frameBytes) levels.push(decibels(pcm.subarray(offset, offset + frameBytes)));
  if (levels.length === 0) return false;
  const floor = [...levels].sort((a, b) => a - b)[Math.floor(levels.length / 10)]!;
  const threshold = Math.max(floor + marginDecibels, absoluteFloorDecibels);
  const voicedMilliseconds = levels.filter((level) => level > threshold).length * 20;
  return voicedMilliseconds >= minimumSpeechMilliseconds;
}
