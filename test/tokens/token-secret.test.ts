import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashTokenSecret, looksLikeTokenSecret, newTokenSecret } from '../../src/tokens/token-secret.js';

describe('token secrets', () => {
  it('look like ast_ and 32 base62 characters, and differ each time', () => {
    const secrets = Array.from({ length: 200 }, () => newTokenSecret());
    for (const secret of secrets) {
      expect(secret).toMatch(/^ast_[0-9A-Za-z]{32}$/);
      expect(looksLikeTokenSecret(secret)).toBe(true);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it('skip the bytes that would make some characters likelier than others', () => {
    // 248..255 would wrap onto 0..7: they are skipped, and more bytes are asked for.
    const chunks = [Uint8Array.from([248, 255, 0, 61, 62, 247, ...Array<number>(26).fill(250)]), Uint8Array.from(Array<number>(32).fill(1))];
    const asked: number[] = [];
    const secret = newTokenSecret((size) => {
      asked.push(size);
      return chunks.shift()!;
    });
    expect(secret).toBe(`ast_0z0z${'1'.repeat(28)}`);
    expect(asked).toEqual([32, 32]);
  });

  it('hash to the SHA-256 hex of the secret', () => {
    expect(hashTokenSecret('ast_abc')).toBe(createHash('sha256').update('ast_abc').digest('hex'));
    expect(hashTokenSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuse anything of another shape before a lookup', () => {
    for (const text of ['', 'ast_', `ast_${'a'.repeat(31)}`, `ast_${'a'.repeat(33)}`, `AST_${'a'.repeat(32)}`, `ast_${'a'.repeat(31)}-`, `sk-${'a'.repeat(32)}`, ` ast_${'a'.repeat(32)}`, `ast_${'a'.repeat(32)}\n`]) {
      expect(looksLikeTokenSecret(text), JSON.stringify(text)).toBe(false);
    }
  });
});
