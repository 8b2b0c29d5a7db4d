import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cacheKey, canonicalJson } from '../../src/cache/cache-key.js';

/** Rebuilds an object with its keys in reverse order, recursively. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).reverse().map((key) => [key, reordered((value as Record<string, unknown>)[key])]));
}

describe('canonicalJson and cacheKey', () => {
  it('does not depend on key order', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => canonicalJson(value) === canonicalJson(reordered(value))));
  });

  it('round-trips to an equal value (nothing lost)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('drops undefined members, so an unset option equals an absent one', () => {
    expect(cacheKey({ model: 'm', temperature: undefined })).toBe(cacheKey({ model: 'm' }));
  });

  it('differs when any part differs', () => {
    const base = { kind: 'chat', baseURL: 'http://a/v1', model: 'm', temperature: 0.5, messages: [{ role: 'user', content: 'hi' }] };
    const keys = new Set([
      cacheKey(base),
      cacheKey({ ...base, baseURL: 'http://b/v1' }),
      cacheKey({ ...base, model: 'n' }),
      cacheKey({ ...base, temperature: 0.6 }),
      cacheKey({ ...base, messages: [{ role: 'system', content: 's' }, ...base.messages] }),
      cacheKey({ ...base, messages: [{ role: 'user', content: 'hi ' }] }),
      cacheKey({ ...base, kind: 'speech' }),
    ]);
    expect(keys.size).toBe(7);
  });

  it('does not confuse strings that look like structure', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        return cacheKey({ content: a }) !== cacheKey({ content: b });
      }),
    );
    expect(cacheKey({ a: '1,"b":2' })).not.toBe(cacheKey({ a: '1', b: 2 }));
  });

  it('is a 64-character hex digest', () => {
    expect(cacheKey({})).toMatch(/^[0-9a-f]{64}$/);
  });
});
