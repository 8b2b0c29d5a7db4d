/**
 * Speaks a reply sentence by sentence while it is still being written: each sentence is
 * synthesized as soon as it is complete (a few at a time), and the clips are played in
 * order through one player, starting while the first one is still downloading.
 */
import type { ResponseCache } from '../cache/response-cache.js';
import type { AudioSink, Player } from '../audio/player.js';
import { parseWavHeader, type PcmFormat } from '../audio/wav.js';
import { AssistantError } from '../errors.js';
import { hostOf } from '../chat/openai-errors.js';
import type { TraceContext } from '../observability/request-log.js';
import type { Synthesizer } from '../speech/speech-models.js';
import { Channel } from '../async/channel.js';
import { linkedAbort } from './linked-abort.js';

export interface VoiceSettings {
  model: string;
  voice: string;
  speed: number;
}

export interface SpeechQueueOptions {
  synthesizer: Synthesizer;
  cache: ResponseCache;
  player: Player;
  settings: VoiceSettings;
  signal: AbortSignal;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Called once, when the first audio bytes go to the player. */
  onFirstAudio?: () => void;
  /** Syntheses running at once. Default 2. */
  concurrency?: number;
  trace?: TraceContext;
}

interface Clip {
  text: string;
  audio: Channel<Uint8Array>;
  /** When the player will have finished this clip (ms since the epoch), once known. */
  endsAt?: number;
}

/**
 * Every promise it starts is awaited by `finish` or `stop`, and a failure (a sentence that
 * could not be synthesized, a player that died) stops the queue at once and is reported by
 * `finish`: it never rejects unobserved while the reply is still streaming.
 */
export class SpeechQueue {
  private readonly clips: Clip[] = [];
  /** Clips in order for playback; closed when no more sentences come (finish or stop). */
  private readonly toPlay = new Channel<Clip>();
  private readonly waiting: Clip[] = [];
  private readonly downloads = new Set<Promise<void>>();
  private running = 0;
  private playback: Promise<void> | undefined;
  private sink: AudioSink | undefined;
  private readonly now: () => number;
  private previousRequest: Promise<void> = Promise.resolve();
  private playStartedAt: number | undefined;
  /** When the player will run out of what it was given (ms since the epoch): a running clock that survives underruns. */
  private playheadEndsAt = 0;
  /** Aborted by the caller's signal, by stop() and by a failure: cancels every download. */
  private readonly cancel = new AbortController();
  /** Ctrl-C stops the audio at once; whoever ends the turn awaits the same stop(). */
  private readonly onCallerAbort = (): void => void this.stop();
  /** The first failure; speaking stops there. */
  private failure: unknown;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: SpeechQueueOptions) {
    this.now = options.now ?? Date.now;
    if (options.signal.aborted) void this.stop();
    else options.signal.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  /** Queues a sentence; ignored once the queue is finishing, stopped or failed. */
  add(sentence: string): void {
    if (this.toPlay.ended) return;
    const clip: Clip = { text: sentence, audio: new Channel() };
    this.clips.push(clip);
    this.toPlay.push(clip);
    this.waiting.push(clip);
    this.startDownloads();
    this.playback ??= this.play();
  }

  /** Resolves when every added sentence has been played; rejects with the first failure (after stopping). */
  async finish(): Promise<void> {
    this.toPlay.close();
    await this.playback;
    if (this.failure === undefined && !this.cancel.signal.aborted) {
      try {
        await this.sink?.finish();
      } catch (error) {
        this.failure ??= error;
      }
    }
    if (this.failure !== undefined || this.cancel.signal.aborted) {
      await this.stop();
      if (this.failure !== undefined) throw this.failure;
      return;
    }
    await this.settleDownloads();
    this.release();
    // The player has exited after playing everything: every clip was heard.
    const now = this.now();
    for (const clip of this.clips) clip.endsAt = Math.min(clip.endsAt ?? now, now);
  }

  /** Stops speaking at once (playback and downloads). Safe to call any number of times, from any exit path. */
  stop(): Promise<void> {
    this.stopping ??= this.halt();
    return this.stopping;
  }

  /** The sentences the listener has heard in full so far. */
  spokenText(): string {
    const now = this.now();
    return this.clips
      .filter((clip) => clip.endsAt !== undefined && clip.endsAt <= now)
      .map((clip) => clip.text)
      .join(' ');
  }

  private async halt(): Promise<void> {
    this.toPlay.close();
    this.cancel.abort();
    this.release();
    for (const clip of this.clips) clip.audio.close();
    await this.sink?.stop().catch(() => {});
    await this.settleDownloads();
  }

  /** Lets go of the caller's signal, which may live longer than this reply. */
  private release(): void {
    this.options.signal.removeEventListener('abort', this.onCallerAbort);
  }

  /** Waits for the downloads in flight (they end quickly once cancelled); they never reject. */
  private async settleDownloads(): Promise<void> {
    while (this.downloads.size > 0) await Promise.all(this.downloads);
  }

  private startDownloads(): void {
    const limit = this.options.concurrency ?? 2;
    while (this.running < limit && this.waiting.length > 0) {
      const clip = this.waiting.shift()!;
      this.running += 1;
      const download = this.download(clip).finally(() => {
        this.downloads.delete(download);
        this.running -= 1;
        if (!this.cancel.signal.aborted) this.startDownloads();
      });
      this.downloads.add(download);
    }
  }

  /** Never rejects: a failure goes to the clip, where playback finds it in order. */
  private async download(clip: Clip): Promise<void> {
    const { synthesizer, cache, settings } = this.options;
    // Requests go out in sentence order: each waits until the one before has its answer
    // started (a fraction of the time the sentence before takes to play).
    const myTurn = this.previousRequest;
    let started!: () => void;
    this.previousRequest = new Promise((resolve) => (started = resolve));
    // One signal per request: the SDK leaves a listener on the signal it is given.
    const request = linkedAbort(this.cancel.signal);
    const signal = request.signal;
    try {
      if (signal.aborted) return;
      const keyNow = (): string => cache.key('speech', { baseURL: synthesizer.baseURL, ...settings, format: 'wav', text: clip.text });
      const key = keyNow();
      const hit = await cache.get(key, { ...this.options.trace, host: hostOf(synthesizer.baseURL) });
      if (hit?.blob) {
        started();
        clip.audio.push(hit.blob);
        return;
      }
      await myTurn;
      if (signal.aborted) return;
      const parts: Uint8Array[] = [];
      const audio = await synthesizer.synthesize({ text: clip.text, format: 'wav', ...settings }, { signal, ...(this.options.trace ? { trace: this.options.trace } : {}) }).finally(started);
      for await (const chunk of audio) {
        parts.push(chunk);
        clip.audio.push(chunk);
      }
      clip.audio.close();
      // Keyed again: the synthesizer may have changed engine meanwhile (a 404 falls back to espeak-ng).
      if (!signal.aborted) await cache.put('speech', keyNow(), { model: settings.model, blob: Buffer.concat(parts), metadata: { format: 'wav', voice: settings.voice, characters: clip.text.length }, ...(this.options.trace?.sessionId ? { sessionId: this.options.trace.sessionId } : {}) });
    } catch (error) {
      // Cancelled downloads are not failures: stop() already ended their clips.
      if (!signal.aborted) clip.audio.fail(error);
    } finally {
      started();
      clip.audio.close();
      request.release();
    }
  }

  /** Never rejects: a failure is kept for finish() and stops everything now. */
  private async play(): Promise<void> {
    try {
      await this.playClips();
    } catch (error) {
      if (!this.cancel.signal.aborted) this.failure ??= error;
      await this.stop();
    }
  }

  private async playClips(): Promise<void> {
    let format: PcmFormat | undefined;
    for await (const clip of this.toPlay) {
      let header = Buffer.alloc(0);
      let parsed = false;
      for await (const chunk of clip.audio) {
        if (this.cancel.signal.aborted) return;
        let pcm: Uint8Array = chunk;
        if (!parsed) {
          header = Buffer.concat([header, chunk]);
          const wav = parseHeader(header);
          if (!wav) continue;
          parsed = true;
          pcm = header.subarray(wav.dataOffset);
          if (!format || !sameFormat(format, wav.format)) {
            await this.sink?.finish();
            // A player must never be started after stop(): it would outlive the turn.
            if (this.cancel.signal.aborted) return;
            format = wav.format;
            this.sink = this.options.player.open(format);
          }
        }
        if (pcm.byteLength === 0) continue;
        if (this.playStartedAt === undefined) {
          this.playStartedAt = this.now();
          this.options.onFirstAudio?.();
        }
        // A pipe takes audio at once and the player plays it from then on.
        const seconds = pcm.byteLength / (format!.sampleRate * format!.channels * 2);
        this.playheadEndsAt = Math.max(this.playheadEndsAt, this.now()) + seconds * 1000;
        await this.sink!.write(pcm);
      }
      if (this.cancel.signal.aborted) return;
      await this.sink?.endClip();
      clip.endsAt = Math.max(this.playheadEndsAt, this.now());
    }
  }
}

function parseHeader(bytes: Buffer): ReturnType<typeof parseWavHeader> {
  try {
    return parseWavHeader(bytes);
  } catch (error) {
    throw new AssistantError(`The speech server sent audio that is not PCM WAV (${(error as Error).message}).`);
  }
}

function sameFormat(a: PcmFormat, b: PcmFormat): boolean {
  return a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;
}
