/**
 * What a key or a signal asks of a talk session, in one table: the microphone's keys, the
 * keys while a typed message is answered, and the signals. The session acts on intents only,
 * so a new key or signal is one line here.
 */
import type { EndingSignal } from '../errors.js';
import type { Key } from './keyboard.js';

export type Intent =
  /** Stop the answer in progress (what was said is kept) and listen again. */
  | 'stop-answer'
  /** Ctrl-C: stop the answer; when none is running, end the session; twice quickly, exit at once. */
  | 'interrupt'
  /** Finish the turn in progress (stored as interrupted) and end the session. */
  | 'end';

/** Keys read in raw mode while the microphone listens or the assistant speaks. */
export const MICROPHONE_KEY_INTENTS: Readonly<Partial<Record<Key, Intent>>> = {
  space: 'stop-answer',
  enter: 'stop-answer',
  'ctrl-c': 'interrupt',
  'ctrl-d': 'end',
};

/** Keys while a typed message is being answered (the prompt is not there, so they do not type). */
export const ANSWERING_KEY_INTENTS: Readonly<Partial<Record<Key, Intent>>> = {
  enter: 'stop-answer',
  escape: 'stop-answer',
  'ctrl-c': 'interrupt',
};

/** Ctrl-C at an empty prompt reaches the typed input as a key; outside it, as SIGINT. */
export const SIGNAL_INTENTS: Readonly<Record<'SIGINT' | EndingSignal, Intent>> = {
  SIGINT: 'interrupt',
  SIGTERM: 'end',
  SIGHUP: 'end',
  SIGQUIT: 'end',
};
