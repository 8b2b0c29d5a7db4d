/**
 * The response cache policy on top of a store's two cache methods: what a key is made of, the size bound
 * and the time to live. One instance serves every kind (chat answers now; speech and
 * transcriptions share the same bound and eviction).
 */
import type { RequestLog, TraceContext } from '../observability/request-log.js';
import { cacheEntrySize, type CacheEntry, type CacheKind, type CacheStore } from '../store/store.js';
import { cacheKey } from './cache-key.js';

export interface CachePolicy {
  /** False: nothing is read or written (--no-cache). */
  enabled: boolean;
  /** Total size bound across kinds; least recently used entries are evicted first. */
  maxBytes: number;
  /** Entries older than this are misses. Undefined: no expiry. */
  ttlSeconds: number | undefined;
}

export interface CacheValue {
  model: string;
  text?: string;
  blob?: Uint8Array;
  metadata?: Record<string, unknown>;
  sessionId?: string;
}

/**
 * The share of the size bound this process writes between two checks of the bound, and the
 * room an eviction leaves under it. Ranking the whole cache on every put made each put slower
 * as the cache grew (tens of thousands of entries after months of daily use). Now a check sums
 * the sizes and ranks only when over; an eviction keeps 95% of the bound, so the checks after
 * it find the cache under until about 5% more is written. The cache can go over its bound by at
 * most this share per process writing to it, until that process next checks.
 */
export const EVICTION_EVERY = 0.05;

export class ResponseCache {
  /** Bytes this instance has put since its last eviction; undefined until it first evicts (on its first put). */
  private writtenSinceEviction: number | undefined;

  constructor(
    private readonly store: CacheStore,
    private readonly policy: CachePolicy,
    private readonly requestLog?: RequestLog | undefined,
    /** Told when an entry could not be written (put itself never fails). */
    private readonly onWriteFailure?: ((error: unknown) => void) | undefined,
  ) {}

  /** The key for a request, from everything that determines its response. */
  key(kind: CacheKind, parts: Record<string, unknown>): string {
    return cacheKey({ kind, ...parts });
  }

  /** A hit is logged as a request served from the cache (for hit rates and savings). */
  async get(key: string, trace?: TraceContext & { host: string }): Promise<CacheEntry | undefined> {
    if (!this.policy.enabled) return undefined;
    const hit = await this.store.cacheGet(key, { ttlSeconds: this.policy.ttlSeconds });
    if (hit && trace && this.requestLog) {
      const { host, sessionId, turnKey, token } = trace;
      this.requestLog.record([{ at: Date.now(), sessionId, turnKey, ...(token ? { token: token.name } : {}), endpoint: hit.kind, host, model: hit.model, attempt: 1, latencyMs: 0, cached: true,
        ...(hit.kind === 'chat' ? { inputTokens: (hit.metadata?.usage as { promptTokens?: number } | undefined)?.promptTokens, outputTokens: (hit.metadata?.usage as { completionTokens?: number } | undefined)?.completionTokens } : {}),
        ...(hit.kind === 'speech' ? { characters: (hit.metadata?.characters as number | undefined) } : {}),
      }]);
    }
    return hit;
  }

  /** Never rejects: a failed write goes to onWriteFailure. */
  async put(kind: CacheKind, key: string, value: CacheValue): Promise<void> {
    if (!this.policy.enabled || this.policy.maxBytes <= 0) return;
    const { maxBytes } = this.policy;
    const size = cacheEntrySize(value);
    const written = (this.writtenSinceEviction ?? 0) + size;
    // A short-lived command (ask, say) puts a few entries and evicts on its first; a long-lived one (talk, serve) every EVICTION_EVERY of the bound.
    const evict = this.writtenSinceEviction === undefined || written >= maxBytes * EVICTION_EVERY;
    this.writtenSinceEviction = evict ? 0 : written;
    try {
      // Down to a little under the bound, so the next writes find it under and need no ranking.
      await this.store.cachePut({ key, kind, ...value }, evict ? { maxBytes, keepBytes: maxBytes * (1 - EVICTION_EVERY) } : undefined);
    } catch (error) {
      // The answer, clip or transcript is in hand (and an answer stored) already: a cache that
      // cannot be written costs a later request its shortcut, never this one its result.
      if (evict) this.writtenSinceEviction = undefined;
      this.onWriteFailure?.(error);
    }
  }
}

/**
 * Whether a chat answer may come from the cache. Asking the same question again usually
 * means wanting a new answer, so by default (auto) only a deterministic request
 * (temperature 0) is served from the cache; `--cache` or "always" serve any; "never" and
 * `--no-cache` neither serve nor store answers.
 */
export function answerCacheUse(
  flag: boolean | undefined,
  setting: 'auto' | 'always' | 'never',
  temperature: number | undefined,
): 'read-write' | 'write-only' | 'off' {
  if (flag !== undefined) return flag ? 'read-write' : 'off';
  if (setting === 'never') return 'off';
  if (setting === 'always' || temperature === 0) return 'read-write';
  return 'write-only';
}
