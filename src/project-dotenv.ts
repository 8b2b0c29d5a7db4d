/**
 * The `.env` in the current directory: the one door through which a project's file reaches
 * the configuration. A cloned repository can ship one, so it is untrusted unless the user
 * said otherwise (ASSISTANT_TRUST_DOTENV=1 in the real environment, or the directory listed
 * in "trustedDirectories" of the user's config file), like direnv's `allow` and mise's
 * `trust`: the project cannot vouch for itself. What an untrusted .env may set is decided
 * per setting in src/config.ts.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { AssistantError } from './errors.js';
import { urlPasswords } from './secrets.js';

/** A .env is a few lines; anything bigger is not one (and /dev/zero never ends). */
const MAX_DOTENV_BYTES = 1_000_000;

export interface ProjectDotenv {
  path: string;
  values: Record<string, string | undefined>;
  /** The user trusts this file: it may set everything. */
  trusted: boolean;
  /** Why a directory the user listed is still not trusted (the file is not theirs, or others can write it). */
  distrust?: string;
  /** A warning about secrets in a file others can read. */
  exposure?: string;
}

export interface DotenvTrustSources {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** "trustedDirectories" from the user's config file. */
  trustedDirectories: readonly string[];
}

export function readProjectDotenv(sources: DotenvTrustSources): ProjectDotenv | undefined {
  const path = join(sources.cwd, '.env');
  const file = readBoundedRegularFile(path);
  if (!file) return undefined;
  let values: Record<string, string | undefined>;
  try {
    values = parseEnv(file.text);
  } catch (error) {
    throw new AssistantError(`Cannot read ${path}: ${(error as Error).message}.`);
  }
  const listed = sources.env.ASSISTANT_TRUST_DOTENV === '1' || isListed(sources.cwd, sources.trustedDirectories);
  const distrust = listed ? ownershipProblem(file.stats) : undefined;
  return {
    path,
    values,
    trusted: listed && distrust === undefined,
    ...(distrust ? { distrust } : {}),
    ...exposureOf(path, values, file.stats),
  };
}

/**
 * Reads the file only if it is a regular file of at most 1 MB. Opened non-blocking, so a FIFO
 * does not wait for a writer, and checked on the open descriptor, so it cannot be swapped
 * between the check and the read.
 */
function readBoundedRegularFile(path: string): { text: string; stats: Stats } | undefined {
  let descriptor: number;
  try {
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AssistantError(`Cannot read ${path}: ${(error as Error).message}.`);
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) throw new AssistantError(`${path} is not a regular file (a directory, device or pipe); move it aside to use assistant here.`);
    if (stats.size > MAX_DOTENV_BYTES) throw new AssistantError(`${path} is over 1 MB, too big for a .env file; move it aside to use assistant here.`);
    const buffer = Buffer.alloc(stats.size);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(descriptor, buffer, length, buffer.length - length, length);
      if (read === 0) break;
      length += read;
    }
    return { text: buffer.subarray(0, length).toString('utf8'), stats };
  } catch (error) {
    if (error instanceof AssistantError) throw error;
    throw new AssistantError(`Cannot read ${path}: ${(error as Error).message}.`);
  } finally {
    closeSync(descriptor);
  }
}

function isListed(cwd: string, trustedDirectories: readonly string[]): boolean {
  const here = realPath(cwd);
  return trustedDirectories.some((directory) => realPath(directory) === here);
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Like git's safe.directory: trust is for your own file, which no one else can change. */
function ownershipProblem(stats: Stats): string | undefined {
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return 'it belongs to another user';
  if ((stats.mode & 0o022) !== 0) return 'others can write to it';
  return undefined;
}

/** Secrets are values, not names: MAX_TOKENS_PER_DAY=100 is no secret, OPENAI_API_KEY=sk-... is. */
function exposureOf(path: string, values: Record<string, string | undefined>, stats: Stats): { exposure?: string } {
  if ((stats.mode & 0o044) === 0) return {};
  const secretNames = Object.entries(values)
    .filter(([name, value]) => value !== undefined && value !== '' && isSecret(name, value))
    .map(([name]) => name);
  if (secretNames.length === 0) return {};
  const mode = (stats.mode & 0o777).toString(8);
  return { exposure: `${path} holds secrets (${secretNames.join(', ')}) and others can read it (mode ${mode}). Run: chmod 600 ${path}` };
}

function isSecret(name: string, value: string): boolean {
  if (name === 'OPENAI_API_KEY') return true;
  if (/_(KEY|SECRET|PASSWORD|TOKEN)$/i.test(name)) return true;
  return /_URL$/i.test(name) && urlPasswords(value).length > 0;
}
