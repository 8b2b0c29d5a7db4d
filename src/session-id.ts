/** Session ids: short, typeable, safe in a shell and a URL. */
import { randomBytes } from 'node:crypto';
import { usageError } from './errors.js';

/** Letters, digits, dot, dash and underscore; starts with a letter or digit; at most 64 characters. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

// No 0/o, 1/l/i: ids are read aloud and retyped.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function newSessionId(random: (size: number) => Uint8Array = randomBytes): string {
  return Array.from(random(8), (byte) => ALPHABET[byte % ALPHABET.length]).join('');
}

export function validateSessionId(id: string): string {
  if (!SESSION_ID_PATTERN.test(id)) {
    throw usageError(
      `Invalid session id ${JSON.stringify(id.length > 70 ? `${id.slice(0, 70)}…` : id)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
  return id;
}
