/**
 * The secret of a personal token for `assistant serve`: `ast_` and 32 base62 characters
 * (about 190 random bits), shown once by `assistant token create`. The store keeps only its
 * SHA-256: a random secret this long needs no slow hash, and the server can find the token by
 * one indexed lookup of the hash on every request.
 */
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'ast_';
const LENGTH = 32;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The largest multiple of 62 in a byte: bytes from it up are skipped, so every character is equally likely. */
const UNBIASED_BELOW = 248;
const SHAPE = /^ast_[0-9A-Za-z]{32}$/;

/** A new secret; `random` gives random bytes (crypto.randomBytes; a test passes its own). */
export function newTokenSecret(random: (size: number) => Uint8Array = randomBytes): string {
  let body = '';
  while (body.length < LENGTH) {
    for (const byte of random(LENGTH)) {
      if (byte < UNBIASED_BELOW && body.length < LENGTH) body += ALPHABET[byte % ALPHABET.length];
    }
  }
  return PREFIX + body;
}

/** SHA-256 of the secret, as lowercase hex: what the store keeps and looks tokens up by. */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `text` has a secret's shape: a cheap refusal of anything else before the store is asked. */
export function looksLikeTokenSecret(text: string): boolean {
  return SHAPE.test(text);
}
