import fc from 'fast-check';
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/async/channel.js';

/** Lets every settled promise run its continuations (a turn of the event loop, not a timer). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function readAll<T>(channel: Channel<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of channel) items.push(item);
  return items;
}

describe('Channel', () => {
  it('hands items over in push order, to a reader that came first or later', async () => {
    const channel = new Channel<string>();
    const waiting = channel.read();
    channel.push('a');
    channel.push('b');
    channel.push('c');
    expect(await waiting).toEqual({ done: false, value: 'a' });
    expect(await channel.read()).toEqual({ done: false, value: 'b' });
    channel.close();
    expect(await readAll(channel)).toEqual(['c']);
  });

  it('what it holds when closed is still read, then the end, for every later read too', async () => {
    const channel = new Channel<number>();
    channel.push(1);
    channel.push(2);
    channel.close();
    expect(channel.push(3)).toBe(false);
    expect(await readAll(channel)).toEqual([1, 2]);
    expect(await channel.read()).toEqual({ done: true, value: undefined });
  });

  it('a failure reaches the reader after the items held before it; later failures and closes change nothing', async () => {
    const channel = new Channel<number>();
    channel.push(1);
    channel.fail(new Error('device gone'));
    channel.fail(new Error('second'));
    channel.close();
    expect(channel.push(2)).toBe(false);
    const read: number[] = [];
    await expect(
      (async () => {
        for await (const item of channel) read.push(item);
      })(),
    ).rejects.toThrow('device gone');
    expect(read).toEqual([1]);
    await expect(channel.read()).rejects.toThrow('device gone');
  });

  it('fail after close is ignored: what it holds is final', async () => {
    const channel = new Channel<number>();
    channel.push(1);
    channel.close();
    channel.fail(new Error('too late'));
    expect(await readAll(channel)).toEqual([1]);
  });

  it('fail without an error still rejects with one', async () => {
    const channel = new Channel<number>();
    channel.fail(undefined);
    await expect(channel.read()).rejects.toThrow('failed');
  });

  it('a pending read settles on close, on fail and on abort', async () => {
    const closing = new Channel<number>();
    const closed = closing.read();
    closing.close();
    expect(await closed).toEqual({ done: true, value: undefined });

    const failing = new Channel<number>();
    const failed = failing.read();
    failing.fail(new Error('broken'));
    await expect(failed).rejects.toThrow('broken');

    const aborting = new Channel<number>();
    const controller = new AbortController();
    const aborted = aborting.read(controller.signal);
    controller.abort();
    expect(await aborted).toEqual({ done: true, value: undefined });
  });

  it('an aborted read takes no item: the next read gets it', async () => {
    const channel = new Channel<string>();
    const controller = new AbortController();
    const aborted = channel.read(controller.signal);
    const next = channel.read();
    controller.abort();
    channel.push('kept');
    expect(await aborted).toEqual({ done: true, value: undefined });
    expect(await next).toEqual({ done: false, value: 'kept' });
  });

  it('held items come before an aborted signal; then the signal ends the read', async () => {
    const channel = new Channel<string>();
    channel.push('heard');
    const signal = AbortSignal.abort();
    expect(channel.wouldWait(signal)).toBe(false);
    expect(await channel.read(signal)).toEqual({ done: false, value: 'heard' });
    expect(await channel.read(signal)).toEqual({ done: true, value: undefined });
  });

  it('readers waiting at once are each woken, oldest first: no wake-up is lost', async () => {
    const channel = new Channel<number>();
    const first = channel.read();
    const second = channel.read();
    const third = channel.read();
    channel.push(1);
    channel.push(2);
    channel.close();
    expect(await Promise.all([first, second, third])).toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: true, value: undefined },
    ]);
  });

  it('wouldWait and ended say whether a read has something to hand over now', () => {
    const channel = new Channel<number>();
    expect(channel.wouldWait()).toBe(true);
    expect(channel.ended).toBe(false);
    channel.push(1);
    expect(channel.wouldWait()).toBe(false);
    void channel.read();
    expect(channel.wouldWait()).toBe(true);
    expect(channel.wouldWait(AbortSignal.abort())).toBe(false);
    channel.close();
    expect(channel.ended).toBe(true);
    expect(channel.wouldWait()).toBe(false);
  });

  it('reads on a long-lived signal leave no listener on it once they are over', async () => {
    const session = new AbortController();
    const channel = new Channel<number>();
    for (let index = 0; index < 1000; index += 1) {
      const read = channel.read(session.signal);
      channel.push(index);
      await read;
    }
    const closed = channel.read(session.signal);
    channel.close();
    await closed;
    const failing = new Channel<number>();
    const failed = failing.read(session.signal);
    failing.fail(new Error('x'));
    await expect(failed).rejects.toThrow('x');
    expect(getEventListeners(session.signal, 'abort')).toHaveLength(0);
  });

  it('property: any interleaving of pushes, reads, aborts and close hands every pushed item over once, in order', async () => {
    type Step = { kind: 'push' } | { kind: 'read'; abortable: boolean } | { kind: 'abort'; which: number } | { kind: 'flush' } | { kind: 'close' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant({ kind: 'push' as const }),
      fc.boolean().map((abortable) => ({ kind: 'read' as const, abortable })),
      fc.nat(20).map((which) => ({ kind: 'abort' as const, which })),
      fc.constant({ kind: 'flush' as const }),
      fc.constant({ kind: 'close' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const channel = new Channel<number>();
        const accepted: number[] = [];
        const reads: Promise<IteratorResult<number, undefined>>[] = [];
        const aborts: AbortController[] = [];
        let counter = 0;
        for (const current of steps) {
          if (current.kind === 'push') {
            const item = counter++;
            if (channel.push(item)) accepted.push(item);
          } else if (current.kind === 'read') {
            const controller = new AbortController();
            if (current.abortable) aborts.push(controller);
            reads.push(channel.read(current.abortable ? controller.signal : undefined));
          } else if (current.kind === 'abort') {
            aborts[current.which % Math.max(aborts.length, 1)]?.abort();
          } else if (current.kind === 'flush') {
            await flush();
          } else {
            channel.close();
          }
        }
        channel.close();
        // Every read settles once the channel is closed and drained: none is left hanging.
        const results = await Promise.all(reads);
        const handed = results.flatMap((result) => (result.done ? [] : [result.value]));
        const rest = await readAll(channel);
        expect([...handed, ...rest]).toEqual(accepted);
      }),
    );
  });

  it('property: a writer and two readers, scheduled in any order, hand over every item once, each reader in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.nat(30), fc.boolean(), async (scheduler, count, failAtEnd) => {
        const channel = new Channel<number>();
        const writer = (async () => {
          for (let item = 0; item < count; item += 1) {
            await scheduler.schedule(Promise.resolve(), `push ${item}`);
            channel.push(item);
          }
          await scheduler.schedule(Promise.resolve(), 'end');
          if (failAtEnd) channel.fail(new Error('end'));
          else channel.close();
        })();
        const reader = async (): Promise<number[]> => {
          const got: number[] = [];
          try {
            for await (const item of channel) {
              got.push(item);
              await scheduler.schedule(Promise.resolve(), 'after a read');
            }
          } catch (error) {
            if (!failAtEnd) throw error;
          }
          return got;
        };
        const readers = [reader(), reader()];
        await scheduler.waitAll();
        await writer;
        const [first, second] = await Promise.all(readers);
        for (const got of [first!, second!]) expect(got).toEqual([...got].sort((a, b) => a - b));
        expect([...first!, ...second!].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, index) => index));
      }),
    );
  });
});
