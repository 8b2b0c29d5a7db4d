/**
 * The one way the talk pipeline's parts hand things to each other while both are running:
 * audio chunks to the player, utterances and typed lines to the turn, key presses to push
 * to talk. A writer pushes, then closes or fails it; a reader awaits the next item, with a
 * signal to stop waiting. Unbounded on purpose: every writer here ends by itself (a clip,
 * a recording, a terminal), so there is no backpressure to keep.
 */

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

interface PendingRead<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
}

export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  /** Reads waiting for an item, oldest first. Only ever non-empty while `items` is empty. */
  private readonly pending: PendingRead<T>[] = [];
  private state: 'open' | 'closed' | 'failed' = 'open';
  private failure: unknown;

  /** True once closed or failed: nothing more will be pushed (what it holds is still read). */
  get ended(): boolean {
    return this.state !== 'open';
  }

  /** True when a read now would wait for a push, the end or the signal (nothing to hand over yet). */
  wouldWait(signal?: AbortSignal): boolean {
    return this.items.length === 0 && this.state === 'open' && signal?.aborted !== true;
  }

  /** Hands the item to the oldest waiting read, or holds it. Once ended it is dropped: returns false. */
  push(item: T): boolean {
    if (this.state !== 'open') return false;
    const read = this.pending.shift();
    if (read) read.resolve({ done: false, value: item });
    else this.items.push(item);
    return true;
  }

  /** No more items: reads get what is held, then the end. Ignored once ended. */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    for (const read of this.pending.splice(0)) read.resolve(DONE);
  }

  /** Ends with an error: reads get what is held, then the error. Ignored once ended (what it holds is final). */
  fail(error: unknown): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.failure = error ?? new Error('failed');
    for (const read of this.pending.splice(0)) read.reject(this.failure);
  }

  /**
   * The next item in push order. Held items come first, even when the signal has aborted;
   * then a failed channel rejects with its error, and a closed one or an aborted signal gives
   * the end (`done`). An aborted read takes no item: the next read gets it.
   */
  read(signal?: AbortSignal): Promise<IteratorResult<T, undefined>> {
    if (this.items.length > 0) return Promise.resolve({ done: false, value: this.items.shift()! });
    if (this.state === 'failed') return Promise.reject(this.failure);
    if (this.state === 'closed' || signal?.aborted === true) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      // Whichever comes first settles the read and lets go of the other, so neither a
      // long-lived signal nor the channel keeps anything of a read that is over.
      const onAbort = (): void => {
        const index = this.pending.indexOf(read);
        if (index >= 0) this.pending.splice(index, 1);
        resolve(DONE);
      };
      const read: PendingRead<T> = {
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.push(read);
    });
  }

  /** Reads until the end; a failure is thrown after the items held before it. */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.read() };
  }
}
