/**
 * A clock that moves only when the test says so: `sleep` resolves when `advance` passes its
 * deadline, so tests drive grace times, guards and playback time without waiting.
 */
import type { Clock } from '../../src/clock.js';

interface Sleeper {
  wakeAt: number;
  resolve(): void;
}

export class FakeClock implements Clock {
  private time: number;
  private readonly sleepers: Sleeper[] = [];
  private readonly onSleep: Array<() => void> = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  readonly now = (): number => this.time;

  readonly sleep = (milliseconds: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const sleeper: Sleeper = {
        wakeAt: this.time + Math.max(0, milliseconds),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
      for (const wake of this.onSleep.splice(0)) wake();
    });

  /** How many sleeps are waiting for time to pass. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Resolves once someone sleeps (at once if someone already does). */
  async someoneSleeps(): Promise<void> {
    if (this.sleepers.length > 0) return;
    await new Promise<void>((resolve) => this.onSleep.push(resolve));
  }

  /**
   * Moves time forward by `milliseconds`, waking each sleeper at its deadline in order and
   * letting what it starts run (and sleep again) before time moves on.
   */
  async advance(milliseconds: number): Promise<void> {
    const until = this.time + milliseconds;
    for (;;) {
      await settle();
      const next = this.sleepers.filter((sleeper) => sleeper.wakeAt <= until).sort((a, b) => a.wakeAt - b.wakeAt)[0];
      if (!next) break;
      this.time = Math.max(this.time, next.wakeAt);
      this.sleepers.splice(this.sleepers.indexOf(next), 1);
      next.resolve();
    }
    this.time = until;
    await settle();
  }
}

/** Lets pending promise callbacks and stream events run: a turn of the event loop, not a wait for time. */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}
