/** Keeping secrets out of everything printed: the API key and any password in DATABASE_URL. */
import type { Config } from './config.js';

export function redactUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = 'redacted';
    return url.toString();
  } catch {
    return value;
  }
}

/** The secret strings of a configuration, for scrubbing text before it is shown. */
export function secretsOf(config: Pick<Config, 'apiKey' | 'databaseUrl'>): string[] {
  const secrets: string[] = [];
  if (config.apiKey) secrets.push(config.apiKey);
  try {
    const password = new URL(config.databaseUrl).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // A plain path holds no password.
  }
  return secrets.filter((secret) => secret.length >= 4);
}

export function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}
