/**
 * Time as a dependency: code that reads the time or waits takes a Clock, so tests move a
 * fake clock (test/support/fake-clock.ts) instead of sleeping on the wall clock.
 */
import { setTimeout as wait } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `milliseconds`; rejects with an AbortError when `signal` aborts first. */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (milliseconds, signal) => wait(milliseconds, undefined, signal ? { signal } : {}),
};
