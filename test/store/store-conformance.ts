/**
 * The behaviour every Store must have. Each implementation's test file calls
 * describeStoreConformance with a factory that opens a fresh, empty store.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { describeCacheStoreConformance } from './cache-store-conformance.js';
import { closedAfterEach } from './closed-after-each.js';
import { describeTokenStoreConformance } from './token-store-conformance.js';
import { describeTokenUsageStoreConformance } from './token-usage-conformance.js';

export interface StoreFactory {
  /** A new, empty store; `now` drives its clock in milliseconds. */
  open(now: () => number): Promise<Store>;
  /** A second connection to the same data. */
  reopen(store: Store, now: () => number): Promise<Store>;
}

export function describeStoreConformance(name: string, factory: StoreFactory): void {
  describeCacheStoreConformance(name, { open: (now) => factory.open(now), close: (store) => store.close() });
  describeTokenStoreConformance(name, factory);
  describeTokenUsageStoreConformance(name, factory);

  describe(`${name} store conformance`, () => {
    let clock = 1_700_000_000_000;
    const now = (): number => clock;
    const { open, track } = closedAfterEach(() => factory.open(now), (store) => store.close());

    it('creates a session on its first message and keeps messages in order', async () => {
      const store = await open();
      expect(await store.getSession('s1')).toBeUndefined();
      const first = await store.appendMessage({ sessionId: 's1', role: 'user', content: 'Hello   there\nfriend' });
      clock += 1000;
      await store.appendMessage({ sessionId: 's1', role: 'assistant', content: 'Hi!', model: 'm', usage: { promptTokens: 5, completionTokens: 2 } });
      clock += 1000;
      await store.appendMessage({ sessionId: 's1', role: 'user', content: 'second question' });

      expect(first).toMatchObject({ sessionId: 's1', role: 'user', status: 'complete', cached: false });
      const session = await store.getSession('s1');
      expect(session).toMatchObject({ id: 's1', messageCount: 3, preview: 'Hello there friend' });
      expect(session!.createdAt.getTime()).toBe(clock - 2000);
      expect(session!.updatedAt.getTime()).toBe(clock);
      const messages = await store.messages('s1');
      expect(messages.map((message) => message.content)).toEqual(['Hello   there\nfriend', 'Hi!', 'second question']);
      expect(messages[1]).toMatchObject({ model: 'm', usage: { promptTokens: 5, completionTokens: 2 }, status: 'complete' });
      expect(messages[0]!.usage).toBeUndefined();
    });

    it('stores text holding a NUL (as a model or a transcription may send) with U+FFFD in its place', async () => {
      const store = await open();
      await store.appendMessage({ sessionId: 'nul', role: 'user', content: 'before\u0000after' });
      await store.appendMessage({ sessionId: 'nul', role: 'assistant', content: '\u0000answer\u0000' });
      expect((await store.messages('nul')).map((message) => message.content)).toEqual(['before\uFFFDafter', '\uFFFDanswer\uFFFD']);
      expect((await store.search('answer', { limit: 5 })).map((hit) => hit.sessionId)).toEqual(['nul']);
    });

    it('records who started a session and its settings; --continue picks the owner\'s latest', async () => {
      const store = await open();
      await store.appendMessage({ sessionId: 'mine', role: 'user', content: 'q', session: { owner: 'me@a', system: 'Be brief.', model: 'm1', temperature: 0.5 } });
      clock += 1000;
      await store.appendMessage({ sessionId: 'theirs', role: 'user', content: 'q', session: { owner: 'them@b', model: 'm2' } });
      clock += 1000;
      // Later settings replace earlier ones; the owner is whoever started it.
      await store.appendMessage({ sessionId: 'mine', role: 'user', content: 'q2', session: { owner: 'them@b', system: null, model: 'm3' } });
      expect(await store.getSession('mine')).toMatchObject({ owner: 'me@a', model: 'm3', temperature: 0.5 });
      expect((await store.getSession('mine'))!.system).toBeUndefined();
      clock += 1000;
      await store.appendMessage({ sessionId: 'theirs', role: 'user', content: 'q3' });
      expect(await store.latestSessionId('me@a')).toBe('mine');
      expect(await store.latestSessionId('them@b')).toBe('theirs');
      expect(await store.latestSessionId('nobody@c')).toBeUndefined();
      expect(await store.latestSessionId()).toBe('theirs');
    });

    it('does not store an answer whose question was deleted with its session', async () => {
      const store = await open();
      const question = await store.appendMessage({ sessionId: 'gone', role: 'user', content: 'q' });
      await store.deleteSession('gone');
      await expect(store.appendMessage({ sessionId: 'gone', role: 'assistant', content: 'a', replyTo: question.id })).rejects.toMatchObject({ name: 'SessionDeletedError' });
      expect(await store.getSession('gone')).toBeUndefined();
      const kept = await store.appendMessage({ sessionId: 'kept', role: 'user', content: 'q' });
      await store.appendMessage({ sessionId: 'kept', role: 'assistant', content: 'a', replyTo: kept.id });
      expect(await store.messages('kept')).toHaveLength(2);
    });

    it('stores interrupted and failed answers with their status', async () => {
      const store = await open();
      await store.appendMessage({ sessionId: 's', role: 'user', content: 'q' });
      await store.appendMessage({ sessionId: 's', role: 'assistant', content: 'half', status: 'interrupted' });
      await store.appendMessage({ sessionId: 's', role: 'assistant', content: '', status: 'error', cached: false });
      await store.appendMessage({ sessionId: 's', role: 'assistant', content: 'from cache', cached: true });
      expect((await store.messages('s')).map((message) => [message.status, message.cached])).toEqual([
        ['complete', false],
        ['interrupted', false],
        ['error', false],
        ['complete', true],
      ]);
    });

    it('orders sessions with the same last activity by creation, then id', async () => {
      const store = await open();
      const start = clock;
      await store.appendMessage({ sessionId: 'older', role: 'user', content: 'q' });
      clock = start + 1;
      await store.appendMessage({ sessionId: 'newer', role: 'user', content: 'q' });
      clock = start + 2;
      await store.appendMessage({ sessionId: 'newer', role: 'assistant', content: 'a' });
      await store.appendMessage({ sessionId: 'older', role: 'assistant', content: 'a' });
      expect(await store.latestSessionId()).toBe('newer');
      await store.appendMessage({ sessionId: 'b-same', role: 'user', content: 'q' });
      await store.appendMessage({ sessionId: 'c-same', role: 'user', content: 'q' });
      await store.appendMessage({ sessionId: 'a-same', role: 'user', content: 'q' });
      expect((await store.listSessions({ limit: 10 })).map((session) => session.id)).toEqual(['c-same', 'b-same', 'a-same', 'newer', 'older']);
    });

    it('lists sessions by latest activity and finds the latest', async () => {
      const store = await open();
      expect(await store.latestSessionId()).toBeUndefined();
      for (const id of ['a', 'b', 'c']) {
        clock += 1000;
        await store.appendMessage({ sessionId: id, role: 'user', content: `question ${id}` });
      }
      clock += 1000;
      await store.appendMessage({ sessionId: 'a', role: 'assistant', content: 'answer a' });
      expect((await store.listSessions({ limit: 10 })).map((session) => session.id)).toEqual(['a', 'c', 'b']);
      expect((await store.listSessions({ limit: 2 })).map((session) => session.id)).toEqual(['a', 'c']);
      expect(await store.latestSessionId()).toBe('a');
    });

    it('searches words as plain text, newest first', async () => {
      const store = await open();
      await store.appendMessage({ sessionId: 'x', role: 'user', content: 'The café on the corner serves espresso' });
      await store.appendMessage({ sessionId: 'y', role: 'assistant', content: 'Espresso is strong coffee' });
      await store.appendMessage({ sessionId: 'y', role: 'user', content: "It's 100% arabica; DROP TABLE messages" });

      expect((await store.search('espresso', { limit: 10 })).map((hit) => hit.sessionId)).toEqual(['y', 'x']);
      expect((await store.search('cafe corner', { limit: 10 })).map((hit) => hit.sessionId)).toEqual(['x']);
      expect((await store.search('espresso', { limit: 1 }))).toHaveLength(1);
      const [hit] = await store.search('arabica', { limit: 10 });
      expect(hit).toMatchObject({ sessionId: 'y', role: 'user' });
      expect(hit!.snippet).toContain('arabica');
      for (const hostile of ['"', "'; DROP TABLE messages; --", '100%', 'NEAR(', '*', 'a OR b', '']) {
        await expect(store.search(hostile, { limit: 10 })).resolves.toBeInstanceOf(Array);
      }
      expect(await store.messages('y')).toHaveLength(2);
    });

    it("lists and searches only an owner's sessions when asked; sessions without an owner are nobody's", async () => {
      const store = await open();
      for (const [id, owner] of [['a1', 'token:a'], ['b1', 'token:b'], ['old', undefined], ['a2', 'token:a']] as const) {
        clock += 1000;
        await store.appendMessage({ sessionId: id, role: 'user', content: `tea in ${id}`, session: owner === undefined ? undefined : { owner } });
      }
      expect((await store.listSessions({ limit: 10, owner: 'token:a' })).map((session) => session.id)).toEqual(['a2', 'a1']);
      expect((await store.listSessions({ limit: 1, owner: 'token:a' })).map((session) => session.id)).toEqual(['a2']);
      expect((await store.listSessions({ limit: 10, owner: 'token:b' })).map((session) => session.id)).toEqual(['b1']);
      expect(await store.listSessions({ limit: 10, owner: 'token:nobody' })).toEqual([]);
      expect((await store.listSessions({ limit: 10 })).map((session) => session.id)).toEqual(['a2', 'old', 'b1', 'a1']);
      expect((await store.search('tea', { limit: 10, owner: 'token:a' })).map((hit) => hit.sessionId)).toEqual(['a2', 'a1']);
      expect((await store.search('tea', { limit: 1, owner: 'token:a' })).map((hit) => hit.sessionId)).toEqual(['a2']);
      expect((await store.search('tea', { limit: 10, owner: 'token:b' })).map((hit) => hit.sessionId)).toEqual(['b1']);
      expect(await store.search('tea', { limit: 10, owner: 'token:nobody' })).toEqual([]);
      expect(await store.search('', { limit: 10, owner: 'token:a' })).toEqual([]);
      expect((await store.search('tea', { limit: 10 })).map((hit) => hit.sessionId)).toEqual(['a2', 'old', 'b1', 'a1']);
    });

    it('deletes a session, its messages, its search entries and the cache entries it produced', async () => {
      const store = await open();
      await store.appendMessage({ sessionId: 'gone', role: 'user', content: 'forget this zebra' });
      await store.appendMessage({ sessionId: 'kept', role: 'user', content: 'keep this zebra' });
      await store.cachePut({ key: 'k1', kind: 'chat', model: 'm', text: 'zebra answer', sessionId: 'gone' }, { maxBytes: 1e6 });
      await store.cachePut({ key: 'k2', kind: 'chat', model: 'm', text: 'other', sessionId: 'kept' }, { maxBytes: 1e6 });

      expect(await store.deleteSession('gone')).toBe(1);
      expect(await store.deleteSession('gone')).toBeUndefined();
      expect(await store.getSession('gone')).toBeUndefined();
      expect(await store.messages('gone')).toEqual([]);
      expect((await store.search('zebra', { limit: 10 })).map((hit) => hit.sessionId)).toEqual(['kept']);
      expect(await store.cacheGet('k1', {})).toBeUndefined();
      expect(await store.cacheGet('k2', {})).toBeDefined();
    });

    it('caches text and binary values, counting hits', async () => {
      const store = await open();
      expect(await store.cacheGet('missing', {})).toBeUndefined();
      await store.cachePut({ key: 't', kind: 'chat', model: 'm', text: 'héllo', metadata: { usage: { promptTokens: 1, completionTokens: 2 } } }, { maxBytes: 1e6 });
      await store.cachePut({ key: 'b', kind: 'speech', model: 'tts', blob: new Uint8Array([0, 1, 2, 255]) }, { maxBytes: 1e6 });
      clock += 5000;
      const text = await store.cacheGet('t', {});
      expect(text).toMatchObject({ kind: 'chat', model: 'm', text: 'héllo', size: 6, hitCount: 1, metadata: { usage: { promptTokens: 1, completionTokens: 2 } } });
      expect(text!.lastHitAt.getTime()).toBe(clock);
      expect(Array.from((await store.cacheGet('b', {}))!.blob!)).toEqual([0, 1, 2, 255]);
      await store.cacheGet('b', {});
      expect(await store.cacheStats()).toEqual([
        { kind: 'chat', entries: 1, bytes: 6, hits: 1 },
        { kind: 'speech', entries: 1, bytes: 4, hits: 2 },
      ]);
      expect(await store.cacheClear()).toEqual({ entries: 2, bytes: 10 });
      expect(await store.cacheStats()).toEqual([]);
    });

    it('loses nothing when many connections append to one session at once', async () => {
      const first = await open();
      const others = await Promise.all(Array.from({ length: 4 }, () => factory.reopen(first, now)));
      track(...others);
      const writers = [first, ...others];
      await Promise.all(
        writers.flatMap((store, writer) =>
          Array.from({ length: 25 }, (_, index) => store.appendMessage({ sessionId: 'busy', role: 'user', content: `w${writer} m${index}` })),
        ),
      );
      const messages = await first.messages('busy');
      expect(messages).toHaveLength(125);
      expect(new Set(messages.map((message) => message.content)).size).toBe(125);
      expect((await first.getSession('busy'))!.messageCount).toBe(125);
    });

    it('imports sessions, messages and cache entries idempotently, keeping their times', async () => {
      const source = await open();
      await source.appendMessage({ sessionId: 'moved', role: 'user', content: 'Où est la gare?', session: { owner: 'me@here', system: 'En français.', model: 'm', temperature: 0.2 } });
      clock += 1000;
      await source.appendMessage({ sessionId: 'moved', role: 'assistant', content: 'Tout droit.', model: 'm', usage: { promptTokens: 3, completionTokens: 2 }, status: 'interrupted' });
      await source.cachePut({ key: 'k', kind: 'speech', model: 'tts', blob: new Uint8Array([1, 2, 3]), metadata: { format: 'wav' } }, { maxBytes: 1e6 });
      const session = (await source.getSession('moved'))!;
      const messages = await source.messages('moved');
      const [entry] = await collect(source.cacheEntries());

      const target = await open();
      clock += 60_000;
      expect(await target.importSession(session, messages)).toBe(2);
      expect(await target.importSession(session, messages)).toBe(0);
      expect(await target.importCacheEntry(entry!)).toBe(true);
      expect(await target.importCacheEntry(entry!)).toBe(false);

      expect(await target.getSession('moved')).toEqual(session);
      expect(session).toMatchObject({ owner: 'me@here', system: 'En français.', model: 'm', temperature: 0.2 });
      const copied = await target.messages('moved');
      expect(copied.map(({ id: _, ...rest }) => rest)).toEqual(messages.map(({ id: _, ...rest }) => rest));
      expect((await target.search('gare', { limit: 5 })).map((hit) => hit.sessionId)).toEqual(['moved']);
      const [copiedEntry] = await collect(target.cacheEntries());
      expect({ ...copiedEntry, blob: Array.from(copiedEntry!.blob!) }).toEqual({ ...entry, blob: [1, 2, 3] });
    });

    it('keeps a request log, filters it, and prunes only what is older than the retention', async () => {
      const store = await open();
      const base = { endpoint: 'chat' as const, host: 'h:1', attempt: 1, cached: false };
      await store.recordRequests([
        { ...base, at: 1000, sessionId: 'a', model: 'm1', status: 200, latencyMs: 12.4, inputTokens: 5, outputTokens: 7, requestId: 'r1' },
        { ...base, at: 2000, sessionId: 'b', model: 'm2', status: 429, errorClass: 'RateLimitError' },
        { ...base, at: 3000, sessionId: 'a', model: 'm1', endpoint: 'transcription', audioSeconds: 1.5, cached: true },
      ]);
      const all = await store.requests({});
      expect(all.map((row) => row.at)).toEqual([3000, 2000, 1000]);
      expect(all[2]).toMatchObject({ sessionId: 'a', model: 'm1', status: 200, latencyMs: 12, inputTokens: 5, outputTokens: 7, requestId: 'r1', cached: false });
      expect(all[0]).toMatchObject({ endpoint: 'transcription', audioSeconds: 1.5, cached: true });
      expect((await store.requests({ sessionId: 'a' })).length).toBe(2);
      expect((await store.requests({ model: 'm2' })).map((row) => row.errorClass)).toEqual(['RateLimitError']);
      expect((await store.requests({ errorsOnly: true })).length).toBe(1);
      expect((await store.requests({ since: 2000, limit: 1 })).map((row) => row.at)).toEqual([3000]);
      expect(await store.pruneRequests(2000)).toBe(1);
      expect((await store.requests({})).map((row) => row.at)).toEqual([3000, 2000]);
      const size = await store.size();
      expect(size.rows.requests).toBe(2);
      expect(size.bytes).toBeGreaterThan(0);
    });

    it('counts requests and tokens for the limits; a negative count written earlier does not offset them', async () => {
      const store = await open();
      const base = { endpoint: 'chat' as const, host: 'h:1', attempt: 1 };
      await store.recordRequests([
        { ...base, at: 1000, cached: false, inputTokens: 100, outputTokens: 50 },
        { ...base, at: 1000, cached: false, inputTokens: -1_000_000, outputTokens: -5 },
        { ...base, at: 1000, cached: true, inputTokens: 100, outputTokens: 50 },
      ]);
      expect(await store.requestTotals(0)).toEqual({ requests: 2, tokens: 150 });
    });

    it('records turns with their key, CPU time and memory, and finds them by time and session', async () => {
      const store = await open();
      await store.appendMessage({ sessionId: 'x', role: 'user', content: 'q' });
      await store.recordTurn({ sessionId: 'x', turnKey: 'k1', input: 'voice', status: 'complete', userMessageId: undefined, assistantMessageId: undefined, cpuMilliseconds: 12.6, peakRssBytes: 1e8, timings: { speechEndedAt: 100, firstAudioAt: 900 } });
      clock += 10_000;
      await store.recordTurn({ sessionId: 'x', input: 'text', status: 'interrupted', userMessageId: undefined, assistantMessageId: undefined, timings: {} });
      const turns = await store.turnsMatching({ sessionId: 'x' });
      expect(turns.map((turn) => [turn.turnKey, turn.cpuMilliseconds, turn.peakRssBytes, turn.timeToFirstAudioMilliseconds])).toEqual([
        ['k1', 13, 1e8, 800],
        [undefined, undefined, undefined, undefined],
      ]);
      expect(await store.turnsMatching({ since: clock })).toHaveLength(1);
      expect(await store.turnsMatching({})).toHaveLength(2);
    });

    it('stores turn times and resource use as whole milliseconds and bytes, the same on every store', async () => {
      const store = await open();
      await store.appendMessage({ sessionId: 'r', role: 'user', content: 'q' });
      const timings = { speechEndedAt: 1000.4, endpointAt: 1200.5, transcriptAt: 1300.6, firstTokenAt: 1400.49, firstSentenceAt: 1500.51, firstAudioAt: 1900.6, audioDoneAt: 2500.2 };
      const recorded = await store.recordTurn({ sessionId: 'r', input: 'voice', status: 'complete', userMessageId: undefined, assistantMessageId: undefined, cpuMilliseconds: 7.5, peakRssBytes: 1234.7, timings });
      const [stored] = await store.turns('r');
      expect(stored).toMatchObject({
        id: recorded.id,
        cpuMilliseconds: 8,
        peakRssBytes: 1235,
        timeToFirstAudioMilliseconds: 900,
        timings: { speechEndedAt: 1000, endpointAt: 1201, transcriptAt: 1301, firstTokenAt: 1400, firstSentenceAt: 1501, firstAudioAt: 1901, audioDoneAt: 2500 },
      });
      expect(stored!.createdAt.getTime()).toBe(clock);
      expect(await store.turnsMatching({ sessionId: 'other' })).toEqual([]);
    });
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
