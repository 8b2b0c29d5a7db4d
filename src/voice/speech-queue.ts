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
import { ChunkChannel } from './chunk-channel.js';

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
  audio: ChunkChannel<Uint8Array>;
  /** When the player will have finished this clip (ms since the epoch), once known. */
  endsAt?: number;
}

export class SpeechQueue {
  private readonly clips: Clip[] = [];
  private readonly waiting: Clip[] = [];
  private running = 0;
  private noMore = false;
  private wakePlayback: (() => void) | undefined;
  private playback: Promise<void> | undefined;
  private sink: AudioSink | undefined;
  private readonly now: () => number;
  private previousRequest: Promise<void> = Promise.resolve();
  private playStartedAt: number | undefined;
  /** When the player will run out of what it was given (ms since the epoch): a running clock that survives underruns. */
  private playheadEndsAt = 0;

  constructor(private readonly options: SpeechQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  add(sentence: string): void {
    const clip: Clip = { text: sentence, audio: new ChunkChannel() };
    this.clips.push(clip);
    this.waiting.push(clip);
    this.startDownloads();
    this.playback ??= this.play();
    this.notifyPlayback();
  }

  /** Resolves when every added sentence has been played. */
  async finish(): Promise<void> {
    this.noMore = true;
    this.notifyPlayback();
    await this.playback;
    await this.sink?.finish();
    if (this.options.signal.aborted) return;
    // The player has exited after playing everything: every clip was heard.
    const now = this.now();
    for (const clip of this.clips) clip.endsAt = Math.min(clip.endsAt ?? now, now);
  }

  /** Stops speaking at once (playback and downloads). */
  async stop(): Promise<void> {
    this.noMore = true;
    for (const clip of this.clips) clip.audio.close();
    this.notifyPlayback();
    await this.sink?.stop();
  }

  /** The sentences the listener has heard in full so far. */
  spokenText(): string {
    const now = this.now();
    return this.clips
      .filter((clip) => clip.endsAt !== undefined && clip.endsAt <= now)
      .map((clip) => clip.text)
      .join(' ');
  }

  private startDownloads(): void {
    const limit = this.options.concurrency ?? 2;
    while (this.running < limit && this.waiting.length > 0) {
      const clip = this.waiting.shift()!;
      this.running += 1;
      void this.download(clip).finally(() => {
        this.running -= 1;
        this.startDownloads();
      });
    }
  }

  private async download(clip: Clip): Promise<void> {
    const { synthesizer, cache, settings, signal } = this.options;
    // Requests go out in sentence order: each waits until the one before has its answer
    // started (a fraction of the time the sentence before takes to play).
    const myTurn = this.previousRequest;
    let started!: () => void;
    this.previousRequest = new Promise((resolve) => (started = resolve));
    if (signal.aborted) {
      started();
      return clip.audio.close();
    }
    const key = cache.key('speech', { baseURL: synthesizer.baseURL, ...settings, format: 'wav', text: clip.text });
    try {
      const hit = await cache.get(key, { ...this.options.trace, host: hostOf(synthesizer.baseURL) });
      if (hit?.blob) {
        started();
        clip.audio.push(hit.blob);
        return clip.audio.close();
      }
      await myTurn;
      const parts: Uint8Array[] = [];
      const audio = await synthesizer.synthesize({ text: clip.text, format: 'wav', ...settings }, { signal, ...(this.options.trace ? { trace: this.options.trace } : {}) }).finally(started);
      for await (const chunk of audio) {
        parts.push(chunk);
        clip.audio.push(chunk);
      }
      clip.audio.close();
      if (!signal.aborted) await cache.put('speech', key, { model: settings.model, blob: Buffer.concat(parts), metadata: { format: 'wav', voice: settings.voice, characters: clip.text.length }, ...(this.options.trace?.sessionId ? { sessionId: this.options.trace.sessionId } : {}) });
    } catch (error) {
      started();
      clip.audio.fail(error);
    }
  }

  private async play(): Promise<void> {
    let format: PcmFormat | undefined;
    for (let index = 0; ; index += 1) {
      while (index >= this.clips.length) {
        if (this.noMore || this.options.signal.aborted) return;
        await new Promise<void>((resolve) => (this.wakePlayback = resolve));
      }
      const clip = this.clips[index]!;
      let header = Buffer.alloc(0);
      let parsed = false;
      for await (const chunk of clip.audio) {
        if (this.options.signal.aborted) return;
        let pcm: Uint8Array = chunk;
        if (!parsed) {
          header = Buffer.concat([header, chunk]);
          const wav = parseHeader(header);
          if (!wav) continue;
          parsed = true;
          pcm = header.subarray(wav.dataOffset);
          if (!format || !sameFormat(format, wav.format)) {
            await this.sink?.finish();
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
      await this.sink?.endClip();
      clip.endsAt = Math.max(this.playheadEndsAt, this.now());
    }
  }

  private notifyPlayback(): void {
    const wake = this.wakePlayback;
    this.wakePlayback = undefined;
    wake?.();
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
