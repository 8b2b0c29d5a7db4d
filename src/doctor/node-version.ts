/** The Node.js check: assistant needs Node 20.12 or newer (`util.parseEnv` reads .env files). */
import { ok, problem, type CheckResult } from './check.js';

const MINIMUM = [20, 12] as const;

export function checkNodeVersion(version: string = process.versions.node): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const recent = major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1]);
  if (recent) return ok('node', `Node.js ${version}`);
  return problem('node', `Node.js ${version} is too old (needs ${MINIMUM.join('.')} or newer)`, 'install Node.js 20 LTS or newer (https://nodejs.org, or nvm install 20)');
}
