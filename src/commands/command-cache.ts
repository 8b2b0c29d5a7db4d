/**
 * The response cache of a command (ask, talk, say, transcribe): the configured bound and time
 * to live, calls served from it logged, and a write that fails told once on stderr, since the
 * command goes on without it.
 */
import { ResponseCache } from '../cache/response-cache.js';
import { errorMessage } from '../errors.js';
import type { CacheStore } from '../store/store.js';
import type { CommandContext } from './context.js';

/** `enabled` false: --no-cache, nothing read or written. */
export function commandCache(store: CacheStore, context: Pick<CommandContext, 'config' | 'terminal' | 'requestLog'>, enabled: boolean): ResponseCache {
  const { cacheMaxMegabytes, cacheTtlSeconds } = context.config.values;
  let told = false;
  return new ResponseCache(store, { enabled, maxBytes: cacheMaxMegabytes * 1_000_000, ttlSeconds: cacheTtlSeconds }, context.requestLog, (error) => {
    if (told) return;
    told = true;
    context.terminal.note(`Note: the response cache could not be written (${errorMessage(error).replace(/\.$/, '')}); nothing else is affected.`);
  });
}
