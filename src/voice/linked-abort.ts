/**
 * An AbortController that also aborts when a longer-lived signal does, and lets go of
 * that signal when its work is done. Code we call (openai-node's fetchWithTimeout, see
 * openai/openai-node#1811) adds an abort listener to the signal it is given and never
 * removes it: handing it a short-lived child signal per request keeps the long-lived one
 * at one listener, however many requests a reply makes.
 */
export interface LinkedAbort {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  /** Removes the listener from the parent signal; call when the work is done. */
  release(): void;
}

export function linkedAbort(parent: AbortSignal): LinkedAbort {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    release: () => parent.removeEventListener('abort', onAbort),
  };
}
