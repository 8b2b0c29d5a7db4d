/**
 * Speaks an answer sentence by sentence, in order, on the page's <audio> element: each
 * sentence's audio is requested as soon as it is complete (at most two ahead of the one
 * playing, within the server's per-token limit on calls at once) and played as a blob: URL
 * when its turn comes. stop() silences it at once and drops what was queued.
 */

export type Synthesize = (text: string, signal: AbortSignal) => Promise<Blob>;

const AHEAD = 2;

export class Speaker {
  private waiting: string[] = [];
  private fetching: Array<Promise<Blob>> = [];
  private controller = new AbortController();
  private loop: Promise<void> | undefined;
  private interrupt: (() => void) | undefined;

  constructor(
    private readonly audio: HTMLAudioElement,
    private readonly synthesize: Synthesize,
    private readonly onError: (error: unknown) => void,
  ) {}

  get busy(): boolean {
    return this.loop !== undefined;
  }

  say(sentence: string): void {
    this.waiting.push(sentence);
    this.request();
    this.loop ??= this.run().finally(() => (this.loop = undefined));
  }

  /** Resolves when everything said so far has been played (or stopped). */
  async finished(): Promise<void> {
    await this.loop;
  }

  stop(): void {
    this.controller.abort();
    this.controller = new AbortController();
    this.waiting = [];
    this.fetching = [];
    this.audio.pause();
    this.interrupt?.();
  }

  private request(): void {
    while (this.fetching.length < AHEAD && this.waiting.length > 0) {
      const fetched = this.synthesize(this.waiting.shift()!, this.controller.signal);
      // Awaited in run(); this keeps an early failure from being reported as unhandled meanwhile.
      fetched.catch(() => {});
      this.fetching.push(fetched);
    }
  }

  private async run(): Promise<void> {
    while (this.fetching.length > 0) {
      const next = this.fetching[0]!;
      let blob: Blob;
      try {
        blob = await next;
      } catch (error) {
        if (!(error instanceof DOMException && error.name === 'AbortError')) this.onError(error);
        this.stop();
        return;
      }
      // stop() meanwhile replaced the queue: this sentence is no longer wanted.
      if (this.fetching[0] !== next) continue;
      void this.fetching.shift();
      this.request();
      await this.play(blob);
    }
  }

  private async play(blob: Blob): Promise<void> {
    const url = URL.createObjectURL(blob);
    try {
      await new Promise<void>((resolve, reject) => {
        const cleanup = (): void => {
          this.audio.removeEventListener('ended', done);
          this.audio.removeEventListener('error', failed);
          this.interrupt = undefined;
        };
        const done = (): void => {
          cleanup();
          resolve();
        };
        const failed = (): void => {
          cleanup();
          reject(new Error('This browser could not play the answer audio.'));
        };
        this.interrupt = done;
        this.audio.addEventListener('ended', done);
        this.audio.addEventListener('error', failed);
        this.audio.src = url;
        this.audio.play().catch((error: unknown) => {
          // A pause() from stop() rejects play(); that is not a failure.
          if (error instanceof DOMException && error.name === 'AbortError') return done();
          done();
          this.onError(error);
        });
      });
    } catch (error) {
      this.onError(error);
    } finally {
      this.audio.removeAttribute('src');
      URL.revokeObjectURL(url);
    }
  }
}
