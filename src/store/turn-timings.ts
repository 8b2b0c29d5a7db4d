/** Derived turn metrics, computed the same way by every store. */
import type { TurnTimings } from './store.js';

/** First audio played minus end of speech, in milliseconds; undefined when either is missing. */
export function timeToFirstAudio(timings: TurnTimings): number | undefined {
  if (timings.firstAudioAt === undefined || timings.speechEndedAt === undefined) return undefined;
  return Math.max(0, Math.round(timings.firstAudioAt - timings.speechEndedAt));
}
