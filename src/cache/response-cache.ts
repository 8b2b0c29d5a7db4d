/**
 * The response cache policy on top of a Store: what a key is made of, the size bound
 * and the time to live. One instance serves every kind (chat answers now; speech and
 * transcriptions share the same bound and eviction).
 */
import type { CacheEntry, CacheKind, Store } from '../store/store.js';
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

export class ResponseCache {
  constructor(
    private readonly store: Store,
    private readonly policy: CachePolicy,
  ) {}

  /** The key for a request, from everything that determines its response. */
  key(kind: CacheKind, parts: Record<string, unknown>): string {
    return cacheKey({ kind, ...parts });
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    if (!this.policy.enabled) return undefined;
    return this.store.cacheGet(key, { ttlSeconds: this.policy.ttlSeconds });
  }

  async put(kind: CacheKind, key: string, value: CacheValue): Promise<void> {
    if (!this.policy.enabled || this.policy.maxBytes <= 0) return;
    await this.store.cachePut({ key, kind, ...value }, { maxBytes: this.policy.maxBytes });
  }
}
