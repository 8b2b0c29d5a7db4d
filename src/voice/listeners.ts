/**
 * Where a turn's words come from: the microphone (voice activity detection, or push to
 * talk), or typed lines (--text). Each `listen` resolves with what was said, or undefined
 * when the person ended the session.
 */
import type { Recorder } from '../audio/recorder.js';
import { VoiceActivityDetector, containsSpeech, type VoiceActivityOptions } from '../audio/voice-activity.js';
import { RECORDING_FORMAT } from '../audio/wav.js';
import type { Keyboard } from './keyboard.js';
import type { StatusLine } from './status-line.js';

export type Heard =
  | { kind: 'voice'; pcm: Buffer; speechEndedAt: number; endpointAt: number }
  | { kind: 'text'; text: string; at: number };

export interface TurnInput {
  listen(signal: AbortSignal): Promise<Heard | undefined>;
  /** The assistant is speaking: do not take its voice for the person's (half duplex). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export interface MicrophoneOptions {
  recorder: Recorder;
  status: StatusLine;
  detector: Omit<VoiceActivityOptions, 'sampleRate'>;
  /** Speech while the assistant talks interrupts it (for headphones). */
  bargeIn?: boolean;
  onBargeIn?: () => void;
  now?: () => number;
}

/** Hands-free: one recording for the whole session, cut into utterances by the detector. */
export class MicrophoneListener implements TurnInput {
  private readonly detector: VoiceActivityDetector;
  private readonly stopRecording = new AbortController();
  private pump: Promise<void> | undefined;
  private paused = false;
  private readonly ready: Heard[] = [];
  private waiter: ((heard: Heard | undefined) => void) | undefined;
  private failure: ((error: unknown) => void) | undefined;
  private failed: unknown;
  private readonly now: () => number;

  constructor(private readonly options: MicrophoneOptions) {
    this.detector = new VoiceActivityDetector({ sampleRate: RECORDING_FORMAT.sampleRate, ...options.detector });
    this.now = options.now ?? Date.now;
  }

  listen(signal: AbortSignal): Promise<Heard | undefined> {
    this.pump ??= this.run();
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const queued = this.ready.shift();
    if (queued) return Promise.resolve(queued);
    this.options.status.set('listening');
    return new Promise((resolve, reject) => {
      const onAbort = (): void => finish(undefined);
      const finish = (heard: Heard | undefined): void => {
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        this.failure = undefined;
        resolve(heard);
      };
      if (signal.aborted) return resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = finish;
      this.failure = (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
    });
  }

  pause(): void {
    this.paused = true;
    if (!this.options.bargeIn) this.detector.reset();
  }

  resume(): void {
    this.paused = false;
  }

  async close(): Promise<void> {
    this.stopRecording.abort();
    await this.pump?.catch(() => {});
  }

  private async run(): Promise<void> {
    try {
      for await (const chunk of this.options.recorder.record({ signal: this.stopRecording.signal })) {
        if (this.paused && !this.options.bargeIn) continue;
        const events = this.detector.push(chunk);
        if (!this.paused) this.options.status.meter(this.detector.lastLevel);
        for (const event of events) {
          if (event.type === 'speech-start') {
            if (this.paused) this.options.onBargeIn?.();
            else this.options.status.set('hearing you');
          } else if (event.type === 'discarded') {
            if (!this.paused) this.options.status.set('listening');
          } else {
            const endpointAt = this.now();
            const trailing = this.options.detector.trailingSilenceMilliseconds ?? 700;
            const heard: Heard = { kind: 'voice', pcm: event.pcm, endpointAt, speechEndedAt: event.reason === 'silence' ? endpointAt - trailing : endpointAt };
            if (this.waiter) this.waiter(heard);
            else this.ready.push(heard);
          }
        }
      }
    } catch (error) {
      this.failed = error;
      this.failure?.(error);
    }
  }
}

/** --push-to-talk: Enter starts recording, Enter again stops it. */
export class PushToTalkListener implements TurnInput {
  private readonly stopRecording = new AbortController();
  private pump: Promise<void> | undefined;
  private recording = false;
  private chunks: Buffer[] = [];
  private failed: unknown;

  constructor(
    private readonly recorder: Recorder,
    private readonly keyboard: Keyboard,
    private readonly status: StatusLine,
    private readonly now: () => number = Date.now,
  ) {}

  async listen(signal: AbortSignal): Promise<Heard | undefined> {
    this.pump ??= this.run();
    for (;;) {
      if (this.failed !== undefined) throw this.failed;
      this.status.set('listening');
      if (!(await this.nextEnter(signal))) return undefined;
      this.chunks = [];
      this.recording = true;
      this.status.set('recording');
      const stopped = await this.nextEnter(signal);
      this.recording = false;
      if (!stopped) return undefined;
      const pcm = Buffer.concat(this.chunks);
      if (containsSpeech(pcm, RECORDING_FORMAT.sampleRate)) return { kind: 'voice', pcm, speechEndedAt: this.now(), endpointAt: this.now() };
    }
  }

  pause(): void {}
  resume(): void {}

  async close(): Promise<void> {
    this.stopRecording.abort();
    await this.pump?.catch(() => {});
  }

  /** True on Enter; false when the session ends (Ctrl-C, Ctrl-D, or the signal). */
  private nextEnter(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const done = (value: boolean): void => {
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = (): void => done(false);
      const unsubscribe = this.keyboard.onKey((key) => {
        if (key === 'enter' || key === 'space') done(true);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async run(): Promise<void> {
    try {
      for await (const chunk of this.recorder.record({ signal: this.stopRecording.signal })) {
        if (this.recording) this.chunks.push(chunk);
      }
    } catch (error) {
      this.failed = error;
    }
  }
}
