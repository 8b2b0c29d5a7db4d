/**
 * Old databases keep working: each fixture in test/fixtures/upgrade (a SQLite file or a
 * pg_dump, filled by a past release's CLI; make-fixtures.ts) is copied or restored, opened
 * with today's code through openStore so its migrations run, and compared with the manifest
 * of rows the release wrote: through the Store, through the catalog (the schema must be the
 * one a blank database gets) and through the CLI.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type StoreLocation } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import type { FixtureManifest } from '../fixtures/upgrade/manifest.js';
import { postgresSchema, sqliteSchema, type SchemaDescription } from '../fixtures/upgrade/schema.js';
import { expectedView, readThroughStore } from '../fixtures/upgrade/through-store.js';
import { TempHome } from '../support/cli.js';
import { POSTGRES_URL, createTestDatabase, dropTestDatabase, warnSkipped } from '../support/postgres.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/upgrade');
const manifests = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as FixtureManifest);

/**
 * Releases whose databases today's code does not bring up to date, and why. A test marked by
 * this must fail; when a fix makes it pass, it.fails turns red: remove the entry then.
 */
/** Fixtures whose upgrade is known to fail, with why (none: migration 5 repairs the first release's databases). */
const KNOWN_BROKEN: Record<string, string> = {};

/** A private copy of one fixture, in the store it was made for. */
interface UpgradeCopy {
  location: StoreLocation;
  /** DATABASE_URL for the CLI. */
  databaseUrl: string;
  schema(): Promise<SchemaDescription>;
  remove(): Promise<void>;
}

async function sqliteCopy(manifest: FixtureManifest): Promise<UpgradeCopy> {
  const directory = mkdtempSync(join(tmpdir(), 'assistant-upgrade-'));
  const path = join(directory, 'assistant.db');
  copyFileSync(join(FIXTURES, manifest.file), path);
  return {
    location: { kind: 'sqlite', path },
    databaseUrl: path,
    schema: async () => sqliteSchema(path),
    remove: async () => rmSync(directory, { recursive: true, force: true }),
  };
}

async function postgresCopy(manifest: FixtureManifest): Promise<UpgradeCopy> {
  const url = await createTestDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Plain SQL with INSERTs and no psql meta-commands: one simple query restores it.
    await client.query(readFileSync(join(FIXTURES, manifest.file), 'utf8'));
  } finally {
    await client.end();
  }
  return { location: { kind: 'postgres', url }, databaseUrl: url, schema: () => postgresSchema(url), remove: () => dropTestDatabase(url) };
}

/** The schema today's code gives a blank database of that kind. */
async function blankSchema(kind: FixtureManifest['store']): Promise<SchemaDescription> {
  const blank = kind === 'sqlite' ? await sqliteCopyOfNothing() : await postgresCopyOfNothing();
  try {
    await (await openStore(blank.location)).close();
    return await blank.schema();
  } finally {
    await blank.remove();
  }
}

async function sqliteCopyOfNothing(): Promise<UpgradeCopy> {
  const directory = mkdtempSync(join(tmpdir(), 'assistant-upgrade-blank-'));
  const path = join(directory, 'blank.db');
  return { location: { kind: 'sqlite', path }, databaseUrl: path, schema: async () => sqliteSchema(path), remove: async () => rmSync(directory, { recursive: true, force: true }) };
}

async function postgresCopyOfNothing(): Promise<UpgradeCopy> {
  const url = await createTestDatabase();
  return { location: { kind: 'postgres', url }, databaseUrl: url, schema: () => postgresSchema(url), remove: () => dropTestDatabase(url) };
}

async function withStore<T>(copy: UpgradeCopy, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(copy.location);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

warnSkipped('upgrade');
const cases = manifests.filter((manifest) => manifest.store === 'sqlite' || POSTGRES_URL);

describe.each(cases)('a $store database made by $madeBy', (manifest) => {
  const broken = KNOWN_BROKEN[manifest.madeBy];
  const itUnlessBroken = broken === undefined ? it : it.fails;
  let copy: UpgradeCopy;
  beforeEach(async () => {
    copy = manifest.store === 'sqlite' ? await sqliteCopy(manifest) : await postgresCopy(manifest);
  });
  afterEach(() => copy.remove());

  it('keeps every row the release wrote: sessions and settings, messages and statuses, search, cache blobs, turns, requests, sizes', async () => {
    const view = await withStore(copy, (store) => readThroughStore(store, manifest));
    expect(view).toEqual(expectedView(manifest));
    // The fixture holds what the test claims to cover.
    if (manifest.madeBy !== '6d82f73') {
      expect(new Set(manifest.messages.map((message) => message.status))).toEqual(new Set(['complete', 'interrupted', 'error']));
      expect(new Set(manifest.cache.map((entry) => entry.kind))).toEqual(new Set(['chat', 'speech', 'transcription']));
      expect(manifest.turns.some((turn) => turn.timings.firstAudioAt !== null)).toBe(true);
    }
    expect(manifest.searches.every((search) => search.messageIds.length > 0)).toBe(true);
  });

  itUnlessBroken(`ends at the latest schema: the one a blank database gets${broken ? ` (known broken: ${broken})` : ''}`, async () => {
    await withStore(copy, async () => {});
    const upgraded = await copy.schema();
    const blank = await blankSchema(manifest.store);
    expect(upgraded.objects).toEqual(blank.objects);
    expect(upgraded.migrations).toEqual(blank.migrations);
  });

  it('opening it a second time changes nothing', async () => {
    const first = await withStore(copy, (store) => readThroughStore(store, manifest));
    const schemaAfterFirst = await copy.schema();
    const second = await withStore(copy, (store) => readThroughStore(store, manifest));
    expect(second).toEqual(first);
    expect(await copy.schema()).toEqual(schemaAfterFirst);
  });

  itUnlessBroken(`takes new rows and deletes whole sessions after the upgrade${broken ? ' (known broken)' : ''}`, async () => {
    const session = manifest.sessions.find((candidate) => manifest.cache.some((entry) => entry.sessionId === candidate.id)) ?? manifest.sessions[0]!;
    await withStore(copy, async (store) => {
      const question = await store.appendMessage({ sessionId: session.id, role: 'user', content: 'Après la mise à jour: upgraded' });
      expect(question.id).toBeGreaterThan(Math.max(...manifest.messages.map((message) => message.id)));
      await store.cachePut({ key: 'after-upgrade', kind: 'speech', model: 'tts', blob: new Uint8Array([0, 1, 255]), sessionId: session.id }, { maxBytes: 50_000_000 });
      await store.recordTurn({ sessionId: session.id, userMessageId: question.id, assistantMessageId: undefined, input: 'text', status: 'complete', timings: {} });
      await store.recordRequests([{ at: Date.now(), sessionId: session.id, endpoint: 'chat', host: 'example.test', attempt: 1, cached: false }]);
      expect((await store.search('apres upgraded', { limit: 5 })).map((hit) => hit.messageId)).toEqual([question.id]);
      expect((await store.cacheGet('after-upgrade', {}))?.blob).toEqual(new Uint8Array([0, 1, 255]));

      expect(await store.deleteSession(session.id)).toBe(session.messageCount + 1);
      const left: string[] = [];
      for await (const entry of store.cacheEntries()) if (entry.sessionId === session.id) left.push(entry.key);
      expect(left).toEqual([]);
      expect(await store.turns(session.id)).toEqual([]);
      expect(await store.search('apres upgraded', { limit: 5 })).toEqual([]);
    });
  });

  it('shows the same history, cache and stats through the CLI', async () => {
    await withStore(copy, async () => {});
    const home = await TempHome.create('http://127.0.0.1:9/v1');
    try {
      const run = async (...args: string[]): Promise<any> => {
        const result = await home.run(args, { env: { DATABASE_URL: copy.databaseUrl } });
        expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
        return JSON.parse(result.stdout);
      };
      const sessions = (await run('history', '--json', '--limit', '1000')) as Array<{ id: string; messageCount: number }>;
      expect(sessions.map(({ id, messageCount }) => ({ id, messageCount })).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
        manifest.sessions.map(({ id, messageCount }) => ({ id, messageCount })).sort((a, b) => (a.id < b.id ? -1 : 1)),
      );
      const busiest = [...manifest.sessions].sort((a, b) => b.messageCount - a.messageCount)[0]!;
      const transcript = (await run('history', '--session', busiest.id, '--json')) as { messages: Array<{ content: string; status: string }> };
      expect(transcript.messages.map(({ content, status }) => ({ content, status }))).toEqual(
        manifest.messages.filter((message) => message.sessionId === busiest.id).map(({ content, status }) => ({ content, status })),
      );
      for (const search of manifest.searches) {
        expect(((await run('history', '--search', search.query, '--json', '--limit', '100')) as Array<{ messageId: number }>).map((hit) => hit.messageId)).toEqual(search.messageIds);
      }
      const cache = (await run('cache', 'stats', '--json')) as { total: { entries: number; bytes: number; hits: number } };
      expect(cache.total).toEqual({
        entries: manifest.cache.length,
        bytes: manifest.cache.reduce((sum, entry) => sum + entry.size, 0),
        hits: manifest.cache.reduce((sum, entry) => sum + entry.hitCount, 0),
      });
      const stats = (await run('stats', '--since', 'all', '--json')) as { requests: { total: number }; turns: { count: number }; database: { rows: Record<string, number> } };
      expect(stats.requests.total).toBe(manifest.requests.filter((request) => !request.cached).length);
      expect(stats.turns.count).toBe(manifest.turns.length);
      expect(stats.database.rows).toEqual(expectedView(manifest).rows);
    } finally {
      await home.remove();
    }
  });
});
