/**
 * What every doctor check returns, and the time bound each one runs under: doctor must
 * answer even when a device, a server or a database does not.
 */
import type { Clock } from '../clock.js';
import { errorMessage } from '../errors.js';

export type CheckStatus = 'ok' | 'warning' | 'problem';

/** One line of `assistant doctor`: what was checked, what was found and, unless all is well, what to do. */
export interface CheckResult {
  /** A short label ("node", "sox", "microphone" ...), stable for --json. */
  name: string;
  status: CheckStatus;
  /** What was found, in a sentence fragment a person reads. Never holds a secret. */
  found: string;
  /** What to do about it (warnings and problems). */
  fix?: string;
}

/** A check: may give several lines (the API check also reports the models). Stops its work when `signal` aborts. */
export type Check = (signal: AbortSignal) => Promise<CheckResult[]>;

export interface BoundedCheck {
  name: string;
  /** The longest the check may take, in milliseconds. */
  limitMilliseconds: number;
  run: Check;
}

/**
 * Runs a check within its time bound. A check that throws or overruns becomes a problem line
 * naming the check; its work is aborted through the signal.
 */
export async function runBounded(check: BoundedCheck, clock: Clock): Promise<CheckResult[]> {
  const stop = new AbortController();
  const timer = new AbortController();
  let overran = false;
  const overrun = clock.sleep(check.limitMilliseconds, timer.signal).then(
    (): CheckResult[] => {
      overran = true;
      return [{ name: check.name, status: 'problem', found: `did not finish within ${check.limitMilliseconds / 1000} s`, fix: 'see what it waits for (a device, a server, the database) and try again' }];
    },
    (): CheckResult[] => [],
  );
  try {
    return await Promise.race([check.run(stop.signal), overrun]);
  } catch (error) {
    return [{ name: check.name, status: 'problem', found: errorMessage(error) }];
  } finally {
    timer.abort();
    // Told to stop only once its result is decided, so its abort cannot be taken for its answer.
    if (overran) stop.abort();
  }
}

export function ok(name: string, found: string): CheckResult {
  return { name, status: 'ok', found };
}

export function warning(name: string, found: string, fix: string): CheckResult {
  return { name, status: 'warning', found, fix };
}

export function problem(name: string, found: string, fix: string): CheckResult {
  return { name, status: 'problem', found, fix };
}
