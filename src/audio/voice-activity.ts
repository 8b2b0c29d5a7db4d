/**
 * Turn segmentation on 16-bit PCM frames. A SpeechClassifier says, frame by frame, whether
 * a frame is speech (the adaptive energy rule by default, a neural detector when one is
 * loaded); this class turns those decisions into turns: a few speech frames start one, a
 * pre-roll keeps first syllables, short bursts (clicks, coughs) are dropped, and enough
 * trailing silence ends it. Inside an utterance it also reports pauses (and speech resuming
 * after one) so the voice loop can start work early, and lets it move the end of the
 * current utterance once it knows the words (setTrailingSilence).
 */
import { decibels } from './decibels.js';
import { EnergyClassifier } from './speech-detectors/energy.js';
import type { SpeechClassifier } from './speech-detectors/speech-classifier.js';

export { decibels } from './decibels.js';
export type { SpeechClassifier } from './speech-detectors/speech-classifier.js';

export interface VoiceActivityOptions {
  sampleRate: number;
  /** Frame length in milliseconds. Default 20. */
  frameMilliseconds?: number;
  /** Silence that ends an utterance, in milliseconds. Default 700. setTrailingSilence changes it for one utterance. */
  trailingSilenceMilliseconds?: number;
  /** Silence inside an utterance after which a 'pause' event is emitted (once per pause), in milliseconds. Default 250. */
  pauseMilliseconds?: number;
  /** Voiced time below which a burst is not a turn, in milliseconds. Default 250. */
  minimumSpeechMilliseconds?: number;
  /** Audio kept from before speech began, in milliseconds. Default 300. */
  preRollMilliseconds?: number;
  /** An utterance is cut here even if speech goes on, in milliseconds. Default 30000. */
  maximumUtteranceMilliseconds?: number;
  /** Energy rule: how far above the noise floor a voiced frame must be, in dB. Default 12. */
  marginDecibels?: number;
  /** Energy rule: frames quieter than this are never speech, in dBFS. Default -55. */
  absoluteFloorDecibels?: number;
  /** Energy rule: the first audio, taken as the room's noise and never as speech, in milliseconds. Default 300. */
  calibrationMilliseconds?: number;
  /** Decides speech frame by frame. Default: the energy rule built from the three options above. */
  classifier?: SpeechClassifier;
}

export type UtteranceEndReason = 'silence' | 'maximum-length' | 'end-of-input';

export type VoiceActivityEvent =
  | { type: 'speech-start' }
  /**
   * The trailing silence inside an utterance has just reached `pauseMilliseconds` (once per
   * pause). pcm: the utterance so far (pre-roll included, the pause's silence too).
   */
  | { type: 'pause'; pcm: Buffer; silenceMilliseconds: number }
  /** Speech started again after a 'pause' event: the same utterance goes on. */
  | { type: 'resume' }
  /**
   * A complete utterance: PCM including pre-roll and the trailing silence that ended it;
   * silenceMilliseconds is that trailing silence as the classifier heard it (0 unless reason
   * is 'silence'); sinceSpeechMilliseconds is how long ago the speech really stopped: the same,
   * or longer when the level shows it stopped before the classifier said so (Silero's speech
   * probability falls about 70 ms after the last sound). For timings measured from the end of speech.
   */
  | { type: 'utterance'; pcm: Buffer; speechMilliseconds: number; reason: UtteranceEndReason; silenceMilliseconds: number; sinceSpeechMilliseconds: number }
  /** Speech too short to be a turn. */
  | { type: 'discarded'; speechMilliseconds: number };

/**
 * A frame this far below the utterance's loudest is not speech any more, whatever the
 * classifier still says. With 40 dB the end of speech is placed within 20 ms of the real one
 * on the clean espeak-ng fixtures, for every detector (Silero alone: 45-115 ms late).
 */
const QUIET_BELOW_LOUDEST_DB = 40;

type Settings = Required<Omit<VoiceActivityOptions, 'classifier' | 'marginDecibels' | 'absoluteFloorDecibels' | 'calibrationMilliseconds'>>;

export class VoiceActivityDetector {
  readonly frameBytes: number;
  readonly classifier: SpeechClassifier;
  private readonly frameMilliseconds: number;
  private readonly options: Settings;
  private pending: Buffer = Buffer.alloc(0);
  private preRoll: Buffer[] = [];
  private utterance: Buffer[] = [];
  private inSpeech = false;
  private voicedRun = 0;
  private silentRun = 0;
  private voicedTotal = 0;
  private utteranceFrames = 0;
  /** A 'pause' was emitted for the silence in progress; the next speech frame emits 'resume'. */
  private paused = false;
  /** The window that ends the current utterance; back to the configured one at each new utterance. */
  private trailingSilence: number;
  /** The loudest frame of the current utterance, in dBFS, and the frames since one within QUIET_BELOW_LOUDEST_DB of it. */
  private loudestLevel = -100;
  private quietRun = 0;
  /** The level of the last frame in dBFS, for a level meter. */
  lastLevel = -100;

  constructor(options: VoiceActivityOptions) {
    const { classifier, marginDecibels, absoluteFloorDecibels, calibrationMilliseconds, ...rest } = options;
    this.options = {
      frameMilliseconds: 20,
      trailingSilenceMilliseconds: 700,
      pauseMilliseconds: 250,
      minimumSpeechMilliseconds: 250,
      preRollMilliseconds: 300,
      maximumUtteranceMilliseconds: 30_000,
      ...rest,
    };
    this.frameMilliseconds = this.options.frameMilliseconds;
    this.frameBytes = Math.round((this.options.sampleRate * this.frameMilliseconds) / 1000) * 2;
    this.trailingSilence = this.options.trailingSilenceMilliseconds;
    this.classifier =
      classifier ??
      new EnergyClassifier({
        frameMilliseconds: this.frameMilliseconds,
        ...(marginDecibels === undefined ? {} : { marginDecibels }),
        ...(absoluteFloorDecibels === undefined ? {} : { absoluteFloorDecibels }),
        ...(calibrationMilliseconds === undefined ? {} : { calibrationMilliseconds }),
      });
  }

  /** The window that ends the current utterance, in milliseconds. */
  get trailingSilenceMilliseconds(): number {
    return this.trailingSilence;
  }

  /**
   * Lets a classifier whose model is asynchronous (Silero) score a chunk ahead: await it
   * with each chunk, in order, before push(chunk). Nothing to wait for with the energy rule.
   */
  async analyse(chunk: Buffer): Promise<void> {
    await this.classifier.analyse?.(chunk);
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

  /**
   * Changes the silence that ends the CURRENT utterance (the next one starts with the
   * configured window again): longer when the words are unfinished, shorter when they are
   * complete. When the silence already heard reaches the new window, the utterance ends now
   * and is returned; otherwise the result is empty. Outside an utterance it does nothing.
   */
  setTrailingSilence(milliseconds: number): VoiceActivityEvent[] {
    if (!this.inSpeech) return [];
    this.trailingSilence = milliseconds;
    const ended = this.checkEnd();
    return ended ? [ended] : [];
  }

  private frame(frame: Buffer): VoiceActivityEvent | undefined {
    this.lastLevel = decibels(frame);
    const voiced = this.classifier.isSpeech(frame);
    const ms = this.frameMilliseconds;

    if (!this.inSpeech) {
      this.preRoll.push(frame);
      const keep = Math.ceil(this.options.preRollMilliseconds / ms) + 3;
      if (this.preRoll.length > keep) this.preRoll.shift();
      this.voicedRun = voiced ? this.voicedRun + 1 : 0;
      // Three voiced frames in a row (60 ms) start speech; a single pop does not.
      if (this.voicedRun < 3) return undefined;
      this.inSpeech = true;
      this.utterance = [...this.preRoll];
      this.loudestLevel = Math.max(...this.utterance.map(decibels));
      this.quietRun = 0;
      this.utteranceFrames = this.utterance.length;
      this.preRoll = [];
      this.voicedTotal = this.voicedRun;
      this.silentRun = 0;
      this.paused = false;
      this.trailingSilence = this.options.trailingSilenceMilliseconds;
      return { type: 'speech-start' };
    }

    this.utterance.push(frame);
    this.utteranceFrames += 1;
    this.loudestLevel = Math.max(this.loudestLevel, this.lastLevel);
    this.quietRun = this.lastLevel >= this.loudestLevel - QUIET_BELOW_LOUDEST_DB ? 0 : this.quietRun + 1;
    if (voiced) {
      this.voicedTotal += 1;
      this.silentRun = 0;
      if (this.paused) {
        this.paused = false;
        return { type: 'resume' };
      }
    } else {
      this.silentRun += 1;
    }
    const ended = this.checkEnd();
    if (ended) return ended;
    const silenceMilliseconds = this.silentRun * ms;
    if (!voiced && !this.paused && silenceMilliseconds >= this.options.pauseMilliseconds) {
      this.paused = true;
      return { type: 'pause', pcm: Buffer.concat(this.utterance), silenceMilliseconds };
    }
    return undefined;
  }

  private checkEnd(): VoiceActivityEvent | undefined {
    const ms = this.frameMilliseconds;
    const speechMilliseconds = this.voicedTotal * ms;
    if (this.silentRun * ms >= this.trailingSilence) return this.finish(speechMilliseconds, 'silence');
    if (this.utteranceFrames * ms >= this.options.maximumUtteranceMilliseconds) return this.finish(speechMilliseconds, 'maximum-length');
    return undefined;
  }

  /** The input has ended (a file ran out): an utterance in progress is complete as it is. */
  end(): VoiceActivityEvent | undefined {
    if (!this.inSpeech) return undefined;
    return this.finish(this.voicedTotal * this.frameMilliseconds, 'end-of-input');
  }

  private finish(speechMilliseconds: number, reason: UtteranceEndReason): VoiceActivityEvent {
    const pcm = Buffer.concat(this.utterance);
    const silenceMilliseconds = reason === 'silence' ? this.silentRun * this.frameMilliseconds : 0;
    const sinceSpeechMilliseconds = reason === 'silence' ? Math.max(this.silentRun, this.quietRun) * this.frameMilliseconds : 0;
    this.reset();
    if (speechMilliseconds < this.options.minimumSpeechMilliseconds) return { type: 'discarded', speechMilliseconds };
    return { type: 'utterance', pcm, speechMilliseconds, reason, silenceMilliseconds, sinceSpeechMilliseconds };
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
    this.paused = false;
    this.trailingSilence = this.options.trailingSilenceMilliseconds;
    this.loudestLevel = -100;
    this.quietRun = 0;
  }
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
