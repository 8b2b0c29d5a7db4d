/**
 * Keeping secrets out of everything printed: the API key and any password in a URL setting
 * (DATABASE_URL, OPENAI_BASE_URL, the speech and transcription URLs).
 *
 * Passwords are found in the text, not through `new URL`: a password with an unencoded `#`,
 * `/`, `?` or `@` makes the parser fail, or worse, succeed with the password read as a port, a
 * path or a fragment. So the user information is everything between `scheme://` and the LAST
 * `@`, and its password everything after its first `:`. That over-redacts a URL with an `@`
 * later in its path, which is the safe way to be wrong.
 */
import type { Config } from './config.js';

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

interface UrlCredentials {
  /** Text before the password: `scheme://user:`. */
  prefix: string;
  password: string;
  /** Text after the password, from the `@` that ends it. */
  rest: string;
}

function credentialsOf(value: string): UrlCredentials | undefined {
  const scheme = SCHEME.exec(value)?.[0];
  const at = value.lastIndexOf('@');
  if (scheme === undefined || at < scheme.length) return undefined;
  const userInformation = value.slice(scheme.length, at);
  const colon = userInformation.indexOf(':');
  if (colon < 0) return undefined;
  return {
    prefix: value.slice(0, scheme.length + colon + 1),
    password: userInformation.slice(colon + 1),
    rest: value.slice(at),
  };
}

/** `postgres://me:secret@host/db` -> `postgres://me:redacted@host/db`, whether or not the URL parses. */
export function redactUrlPassword(value: string): string {
  const credentials = credentialsOf(value);
  if (!credentials || credentials.password === '') return value;
  return `${credentials.prefix}redacted${credentials.rest}`;
}

/** The password written in a URL, as written and percent-decoded; none for a path or a URL without one. */
export function urlPasswords(value: string | undefined): string[] {
  const password = value === undefined ? undefined : credentialsOf(value)?.password;
  if (!password) return [];
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // A malformed %-escape: the password as written is still a secret.
  }
  return decoded === password ? [password] : [password, decoded];
}

/** Every setting that may carry a password inside a URL. */
export const URL_SETTINGS = ['databaseUrl', 'baseURL', 'sttBaseURL', 'ttsBaseURL'] as const;

/** The secret strings of a configuration, for scrubbing text before it is shown. */
export function secretsOf(config: Partial<Pick<Config, 'apiKey' | (typeof URL_SETTINGS)[number]>>): string[] {
  const secrets: string[] = [];
  if (config.apiKey) secrets.push(config.apiKey);
  for (const key of URL_SETTINGS) secrets.push(...urlPasswords(config[key]));
  // Longest first, so a secret that contains another is replaced whole.
  return [...new Set(secrets)].filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
}

export function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}
