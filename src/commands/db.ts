/**
 * `assistant db copy`: move history, serve's personal tokens (and the cache) between stores, e.g. a
 * laptop's SQLite to a shared PostgreSQL. Tokens go as their hashes, with their limits, times and
 * revocation, so every person's token works against a `serve` on the copy. Their usage counters
 * (requests this minute, model tokens today) stay behind: a minute is over by the time the copy
 * serves, and a day's count starts again on the new store.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AssistantError, ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import { redactUrlPassword } from '../secrets.js';
import { parseStoreLocation, type StoreLocation } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { ProgressBar } from '../ui/progress-bar.js';
import type { CommandContext } from './context.js';

export interface CopyOptions {
  from: string;
  to: string;
  /** Copy the response cache too. */
  cache: boolean;
  json: boolean;
}

export async function copyDatabase(options: CopyOptions, context: CommandContext): Promise<ExitCodeValue> {
  const { terminal } = context;
  const from = locationFromFlag(options.from, '--from', context.cwd);
  const to = locationFromFlag(options.to, '--to', context.cwd);
  if (sameLocation(from, to)) throw usageError('--from and --to name the same store.');
  // Opening a SQLite file creates it: a mistyped --from would copy nothing and report success.
  if (from.kind === 'sqlite' && !(existsSync(from.path) && statSync(from.path).isFile())) {
    throw usageError(`--from ${from.path}: no such database file. Nothing was copied.`);
  }
  if (to.kind === 'sqlite' && !existsSync(dirname(to.path))) {
    throw usageError(`--to ${to.path}: the directory ${dirname(to.path)} does not exist. Create it first.`);
  }

  const source = await context.openStoreAt(from);
  const target = await context.openStoreAt(to);
  const totals = { sessions: 0, messages: 0, messagesAlreadyThere: 0, tokens: 0, tokensAlreadyThere: 0, cacheEntries: 0, cacheEntriesAlreadyThere: 0 };
  /** Tokens the target has another token of the same name (or secret) for: left as they are there. */
  const tokensNotCopied: string[] = [];
  // --json is for scripts: no progress line, even on a terminal.
  const progress = options.json ? undefined : new ProgressBar(terminal);
  try {
    const sessions = await source.listSessions({ limit: Number.MAX_SAFE_INTEGER });
    for (const [index, session] of sessions.entries()) {
      const messages = await source.messages(session.id);
      const added = await target.importSession(session, messages);
      totals.sessions += 1;
      totals.messages += added;
      totals.messagesAlreadyThere += messages.length - added;
      progress?.update('sessions', index + 1, sessions.length);
    }
    for (const token of await source.tokensForCopy()) {
      const outcome = await target.importToken(token);
      if (outcome === 'added') totals.tokens += 1;
      else if (outcome === 'already-there') totals.tokensAlreadyThere += 1;
      else tokensNotCopied.push(token.name);
    }
    if (options.cache) {
      for await (const entry of source.cacheEntries()) {
        if (await target.importCacheEntry(entry)) totals.cacheEntries += 1;
        else totals.cacheEntriesAlreadyThere += 1;
        progress?.update('cache entries', totals.cacheEntries + totals.cacheEntriesAlreadyThere);
      }
    }
  } finally {
    progress?.done();
    await Promise.all([source.close(), target.close()]);
  }

  if (options.json) {
    terminal.line(JSON.stringify({ from: describe(source), to: describe(target), ...totals, tokensNotCopied }));
  } else {
    const cache = options.cache ? `, ${totals.cacheEntries} cache entries (${totals.cacheEntriesAlreadyThere} already there)` : '';
    const tokens = `${totals.tokens} ${totals.tokens === 1 ? 'token' : 'tokens'} (${totals.tokensAlreadyThere} already there)`;
    terminal.line(`Copied ${totals.sessions} sessions: ${totals.messages} messages (${totals.messagesAlreadyThere} already there), ${tokens}${cache}.`);
    if (tokensNotCopied.length > 0) {
      terminal.warn(`Not copied: the target has another token named ${tokensNotCopied.map((name) => `"${name}"`).join(', ')}; those stay as they are there.`);
    }
    terminal.note(`From ${describe(source)} to ${describe(target)}.${options.cache ? '' : ' Add --cache to copy the response cache too.'}`);
  }
  return ExitCode.Success;
}

/** A store named on the command line: a value that does not parse is a usage error. */
function locationFromFlag(value: string, flag: string, cwd: string): StoreLocation {
  try {
    return parseStoreLocation(value, cwd, flag);
  } catch (error) {
    if (error instanceof AssistantError) throw usageError(error.message);
    throw error;
  }
}

function sameLocation(a: StoreLocation, b: StoreLocation): boolean {
  return a.kind === 'sqlite' && b.kind === 'sqlite' ? a.path === b.path : a.kind === 'postgres' && b.kind === 'postgres' && a.url === b.url;
}

function describe(store: Store): string {
  return redactUrlPassword(store.description);
}
