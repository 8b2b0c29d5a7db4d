/**
 * Writes that need not hold up a response (when a token was last used): started at once,
 * awaited by nobody on the request's path, and waited for before the store closes, so
 * `assistant serve` draining on SIGTERM still writes them. Never the user's question or
 * answer: those are stored before the response says they are.
 */
export class BackgroundWrites {
  private readonly pending = new Set<Promise<void>>();

  /** Starts `write`; its failure is dropped (bookkeeping must not fail a request that was answered). */
  start(write: () => Promise<void>): void {
    const running: Promise<void> = write()
      .catch(() => {})
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  /** Resolves once every write started so far (and any they started) has ended. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
