/**
 * The .env check: a .env in the current directory that holds a key (or another secret) and
 * that others can read. Read through the same door as every command's (src/project-dotenv.ts),
 * so the doctor and the warning each command prints agree on what a secret is.
 */
import { statSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { readProjectDotenv, type ProjectDotenv } from '../project-dotenv.js';
import { ok, problem, warning, type CheckResult } from './check.js';

export function checkDotenv(env: NodeJS.ProcessEnv, cwd: string): CheckResult {
  let dotenv: ProjectDotenv | undefined;
  try {
    dotenv = readProjectDotenv({ env, cwd, trustedDirectories: [] });
  } catch (error) {
    return problem('.env', errorMessage(error), 'fix or move the .env file');
  }
  if (!dotenv) return ok('.env', 'none in the current directory');
  const mode = (statSync(dotenv.path).mode & 0o777).toString(8);
  if (dotenv.exposure) return warning('.env', `${dotenv.path} holds secrets and others can read it (mode ${mode})`, `chmod 600 ${dotenv.path}`);
  return ok('.env', `${dotenv.path} (mode ${mode}): no secret readable by others`);
}
