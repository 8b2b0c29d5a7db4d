/**
 * Where a turn's words come from: the microphone (voice activity detection, or push to
 * talk), or typed lines (--text). Each `listen` resolves with what was said, or undefined
 * when the person ended the session.
 */
import { Channel } from '../async/channel.js';
import type { Recorder } from '../audio/recorder.js';
import { AssistantError } from '../errors.js';
import { VoiceActivityDetector, containsSpeech, type VoiceActivityEvent, type VoiceActivityOptions } from '../audio/voice-activity.js';
import { RECORDING_FORMAT } from '../audio/wav.js';
import type { Key, Keyboard } from './keyboard.js';
import type { StatusLine } from './status-line.js';

export type Heard =
  | {
      kind: 'voice';
      pcm: Buffer;
      speechEndedAt: number;
      endpointAt: number;
      /** The pause (see MicrophoneOptions.onPause) this utterance ended in, with no speech since: its speculative start holds. */
      pauseId?: number | undefined;
    }
  | { kind: 'text'; text: string; at: number };

export interface Listener {
  listen(signal: AbortSignal): Promise<Heard | undefined>;
  /** The assistant is speaking: do not take its voice for the person's (half duplex). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
  /** The words heard so far in pause `pauseId` ask for another trailing silence (word-aware end); ignored once that pause is over. */
  setTrailingSilence?(milliseconds: number, pauseId: number): void;
}

/** A pause inside an utterance: the audio so far, numbered so the utterance that ends in it can say so. */
export interface Pause {
  id: number;
  pcm: Buffer;
}

export interface MicrophoneOptions {
  recorder: Recorder;
  status: StatusLine;
  detector: Omit<VoiceActivityOptions, 'sampleRate'>;
  /** Speech while the assistant talks interrupts it (for headphones). */
  bargeIn?: boolean;
  onBargeIn?: () => void;
  /** The person paused (not yet long enough to end the turn): a speculative start may begin. */
  onPause?: (pause: Pause) => void;
  /** They spoke again after a pause (or the burst was too short to be a turn): the speculative start is void. */
  onResume?: () => void;
  now?: () => number;
}

/**
 * Hands-free: one recording for the whole session, cut into utterances by the detector.
 * When the recording ends (a file input ran out), the utterances already heard are still
 * answered, then `listen` resolves undefined: the session ends. A device that fails or
 * stops by itself makes `listen` reject with the recorder's error.
 */
export class MicrophoneListener implements Listener {
  private readonly detector: VoiceActivityDetector;
  private readonly stopRecording = new AbortController();
  private pump: Promise<void> | undefined;
  private paused = false;
  /** Utterances in order; closed when the recording ends, failed with the recorder's error. */
  private readonly heard = new Channel<Heard>();
  private readonly now: () => number;
  /** A live microphone hears the assistant: skip what it records while the assistant speaks. */
  private readonly halfDuplex: boolean;
  private pauses = 0;
  /** The pause the current utterance is in (no speech since), if any. */
  private openPause: number | undefined;

  constructor(private readonly options: MicrophoneOptions) {
    this.detector = new VoiceActivityDetector({ sampleRate: RECORDING_FORMAT.sampleRate, ...options.detector });
    this.now = options.now ?? Date.now;
    this.halfDuplex = options.recorder.live !== false && !options.bargeIn;
  }

  async listen(signal: AbortSignal): Promise<Heard | undefined> {
    this.pump ??= this.run();
    if (this.heard.wouldWait(signal)) this.options.status.set('listening');
    const next = await this.heard.read(signal);
    return next.done ? undefined : next.value;
  }

  pause(): void {
    this.paused = true;
    this.openPause = undefined;
    if (this.halfDuplex) this.detector.reset();
  }

  setTrailingSilence(milliseconds: number, pauseId: number): void {
    if (pauseId !== this.openPause || this.paused) return;
    this.handle(this.detector.setTrailingSilence(milliseconds));
  }

  resume(): void {
    this.paused = false;
  }

  async close(): Promise<void> {
    this.stopRecording.abort();
    await this.pump;
  }

  /** Never rejects: the outcome is left for listen(). */
  private async run(): Promise<void> {
    try {
      for await (const chunk of this.options.recorder.record({ signal: this.stopRecording.signal })) {
        if (this.paused && this.halfDuplex) continue;
        await this.detector.analyse(chunk);
        this.handle(this.detector.push(chunk));
      }
      const last = this.detector.end();
      if (last) this.handle([last]);
      endedByItself(this.options.recorder, this.stopRecording.signal);
      this.heard.close();
    } catch (error) {
      this.heard.fail(error);
    }
  }

  private handle(events: VoiceActivityEvent[]): void {
    const live = this.options.recorder.live !== false;
    for (const event of events) {
      if (event.type === 'pause') {
        if (this.paused) continue;
        this.pauses += 1;
        this.openPause = this.pauses;
        this.options.onPause?.({ id: this.pauses, pcm: event.pcm });
      } else if (event.type === 'resume') {
        if (this.openPause === undefined) continue;
        this.openPause = undefined;
        this.options.onResume?.();
      } else if (event.type === 'speech-start') {
        this.openPause = undefined;
        if (this.paused && live) this.options.onBargeIn?.();
        else if (!this.paused) this.options.status.set('hearing you');
      } else if (event.type === 'discarded') {
        if (this.openPause !== undefined) {
          // Too little speech to be a turn: a speculative start for it is void.
          this.openPause = undefined;
          this.options.onResume?.();
        }
        if (!this.paused) this.options.status.set('listening');
      } else if (event.type === 'utterance') {
        const endpointAt = this.now();
        this.heard.push({ kind: 'voice', pcm: event.pcm, endpointAt, speechEndedAt: endpointAt - event.sinceSpeechMilliseconds, pauseId: this.openPause });
        this.openPause = undefined;
      }
    }
    if (!this.paused) this.options.status.meter(this.detector.lastLevel);
  }
}

/** --push-to-talk: Enter starts recording, Enter again stops it. */
export class PushToTalkListener implements Listener {
  private readonly stopRecording = new AbortController();
  private pump: Promise<void> | undefined;
  private recording = false;
  private chunks: Buffer[] = [];
  /** Enter or Space while a listen waits for it; closed when the recording ends, failed with its error. */
  private readonly presses = new Channel<Key>();

  constructor(
    private readonly recorder: Recorder,
    private readonly keyboard: Keyboard,
    private readonly status: StatusLine,
    /** Whether a recording holds speech (talk passes its detector's judgement); one that does not is never sent. */
    private readonly holdsSpeech: (pcm: Buffer) => Promise<boolean> = async (pcm) => containsSpeech(pcm, RECORDING_FORMAT.sampleRate),
    private readonly now: () => number = Date.now,
  ) {}

  async listen(signal: AbortSignal): Promise<Heard | undefined> {
    this.pump ??= this.run();
    for (;;) {
      this.status.set('listening');
      if (!(await this.nextEnter(signal))) return undefined;
      this.chunks = [];
      this.recording = true;
      this.status.set('recording');
      const stopped = await this.nextEnter(signal);
      this.recording = false;
      if (!stopped) return undefined;
      const pcm = Buffer.concat(this.chunks);
      if (await this.holdsSpeech(pcm)) return { kind: 'voice', pcm, speechEndedAt: this.now(), endpointAt: this.now() };
    }
  }

  pause(): void {}
  resume(): void {}

  async close(): Promise<void> {
    this.stopRecording.abort();
    await this.pump;
  }

  /**
   * True on Enter; false when the session ends (Ctrl-C, Ctrl-D, the signal) or the recording
   * does; rejects with the recorder's failure. Keys count only while waiting: one press is
   * taken, the rest of a burst (or keys after the signal) are not kept for the next wait.
   */
  private async nextEnter(signal: AbortSignal): Promise<boolean> {
    const unsubscribe = this.keyboard.onKey((key) => {
      if ((key !== 'enter' && key !== 'space') || signal.aborted) return;
      unsubscribe();
      this.presses.push(key);
    });
    try {
      return !(await this.presses.read(signal)).done;
    } finally {
      unsubscribe();
    }
  }

  /** Never rejects: the outcome is left for listen(). */
  private async run(): Promise<void> {
    try {
      for await (const chunk of this.recorder.record({ signal: this.stopRecording.signal })) {
        if (this.recording) this.chunks.push(chunk);
      }
      endedByItself(this.recorder, this.stopRecording.signal);
      this.presses.close();
    } catch (error) {
      this.presses.fail(error);
    }
  }
}

/**
 * A live microphone never runs out: a recording of one that ends without an error and without
 * being stopped means the device went away. Without this the session would end in silence,
 * as if the person had ended it; it ends with this error instead.
 */
function endedByItself(recorder: Recorder, stopped: AbortSignal): void {
  if (recorder.live !== false && !stopped.aborted) {
    throw new AssistantError('The microphone stopped: its recording ended by itself. Check the input device (--device).');
  }
}
