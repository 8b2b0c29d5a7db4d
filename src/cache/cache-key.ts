/**
 * Cache keys: a SHA-256 of the canonical JSON of everything that determines a response.
 * Canonical: object keys sorted, undefined members dropped, so the same request always
 * gives the same key whatever order its fields were built in. Callers never put the
 * API key in: it does not change the answer, and the key is stored.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (ArrayBuffer.isView(value)) throw new TypeError('canonicalJson: hash binary data first and pass the digest');
  const members = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}
