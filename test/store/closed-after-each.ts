/** Stores a conformance test opens, closed after each test whatever it did. */
import { afterEach } from 'vitest';

export function closedAfterEach<S>(open: () => Promise<S>, close: (store: S) => Promise<void>): { open: () => Promise<S>; track: (...stores: S[]) => void } {
  const opened: S[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(close));
  });
  return {
    open: async () => {
      const store = await open();
      opened.push(store);
      return store;
    },
    track: (...stores) => void opened.push(...stores),
  };
}
