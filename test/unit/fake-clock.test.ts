/** The fake clock the audio and speech tests drive time with. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';

describe('FakeClock', () => {
  it('wakes sleepers at their deadlines, in order, and only when advanced', async () => {
    const clock = new FakeClock(0);
    const woken: string[] = [];
    const late = clock.sleep(30).then(() => woken.push(`late at ${clock.now()}`));
    const early = clock.sleep(10).then(() => woken.push(`early at ${clock.now()}`));
    await clock.advance(9);
    expect(woken).toEqual([]);
    await clock.advance(21);
    await Promise.all([late, early]);
    expect(woken).toEqual(['early at 10', 'late at 30']);
    expect(clock.now()).toBe(30);
  });

  it('a sleep started by a woken sleeper runs within the same advance', async () => {
    const clock = new FakeClock(0);
    const chain = (async () => {
      await clock.sleep(10);
      await clock.sleep(10);
      return clock.now();
    })();
    await clock.advance(25);
    expect(await chain).toBe(20);
    expect(clock.now()).toBe(25);
  });

  it('an aborted sleep rejects with an AbortError and no longer counts', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(100, controller.signal);
    await clock.someoneSleeps();
    expect(clock.sleeping).toBe(1);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' });
    expect(clock.sleeping).toBe(0);
    await expect(clock.sleep(1, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
