/**
 * Waiting in tests for something observable (a request the server received, a row in the
 * store, a process, a line of output): a bounded poll of a condition. Never a fixed sleep:
 * a test that sleeps is a test that flakes on a busy machine, or waits for nothing.
 */

/** How often the condition is checked, in milliseconds. */
const POLL_MILLISECONDS = 20;

/**
 * Resolves once `condition` holds; rejects after `timeoutMs` (default 15 s) saying what it
 * waited for. A condition that throws (the store not made yet) counts as not yet.
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await holds(condition))) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MILLISECONDS));
  }
}

async function holds(condition: () => boolean | Promise<boolean>): Promise<boolean> {
  try {
    return await condition();
  } catch {
    return false;
  }
}
