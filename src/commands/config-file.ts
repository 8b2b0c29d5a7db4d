/**
 * `assistant config set|unset|edit`: changes to the config file, each checked as loading
 * checks it, so a typo is caught when it is made, not at the next question.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ROLE_SETTINGS, checkConfigFile, checkConfigValue } from '../config.js';
import { AssistantError, ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import type { CommandContext } from './context.js';

type ConfigObject = Record<string, unknown>;

/** `key value`: a setting ("model", "speed") or a role's field ("roles.reviewer.system"). */
export async function configSet(key: string, value: string, context: CommandContext): Promise<ExitCodeValue> {
  const path = context.config.configFile;
  const contents = readContents(path);
  const roleField = roleFieldOf(key);
  if (roleField) {
    asUsage(() => checkConfigValue(roleField.field, value, `roles.${roleField.name}.${roleField.field}`));
    const roles = objectAt(contents, 'roles', path);
    const role = objectAt(roles, roleField.name, path);
    role[roleField.field] = value;
  } else {
    contents[key] = asUsage(() => checkConfigValue(key, value, key));
  }
  writeContents(path, contents);
  context.terminal.note(`Set ${key} in ${path}.`);
  return ExitCode.Success;
}

/** Removes a setting, a role's field, or a whole role ("roles.reviewer"). */
export async function configUnset(key: string, context: CommandContext): Promise<ExitCodeValue> {
  const path = context.config.configFile;
  const contents = readContents(path);
  const holder = holderOf(key, contents);
  const removed = holder !== undefined && Object.hasOwn(holder.object, holder.key) && delete holder.object[holder.key];
  if (!removed) {
    context.terminal.note(`${key} is not set in ${path}; nothing changed.`);
    return ExitCode.Success;
  }
  writeContents(path, contents);
  context.terminal.note(`Removed ${key} from ${path}.`);
  return ExitCode.Success;
}

/** Opens the config file in $VISUAL or $EDITOR (vi), then checks what was saved. */
export async function configEdit(context: CommandContext, env: NodeJS.ProcessEnv): Promise<ExitCodeValue> {
  const path = context.config.configFile;
  if (!existsSync(path)) writeContents(path, {});
  const editor = env.VISUAL || env.EDITOR || 'vi';
  // Through the shell: EDITOR is often a command with arguments ("code --wait").
  const result = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', path], { stdio: 'inherit', env });
  if (result.error || result.status !== 0) {
    throw new AssistantError(`The editor (${editor}) ${result.error ? `could not start: ${result.error.message}` : `exited with ${result.status ?? result.signal}`}. Set VISUAL or EDITOR to the one you use.`);
  }
  try {
    checkConfigFile(path);
  } catch (error) {
    if (!(error instanceof AssistantError)) throw error;
    throw new AssistantError(`The config file was saved with a problem: ${error.message} Fix it with: assistant config edit`);
  }
  context.terminal.note(`${path} is valid.`);
  return ExitCode.Success;
}

/** The object that holds `key` in the file, and its name there; undefined when there is none. */
function holderOf(key: string, contents: ConfigObject): { object: ConfigObject; key: string } | undefined {
  const roles = contents.roles as ConfigObject | undefined;
  const parts = key.split('.');
  if (parts[0] === 'roles' && parts.length === 2) return roles && { object: roles, key: parts[1]! };
  const roleField = roleFieldOf(key);
  if (!roleField) return { object: contents, key };
  const role = roles?.[roleField.name] as ConfigObject | undefined;
  return role && { object: role, key: roleField.field };
}

/** A value typed on the command line that does not parse is a usage error (exit 2), as a bad flag is. */
function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof AssistantError) throw usageError(error.message);
    throw error;
  }
}

function roleFieldOf(key: string): { name: string; field: string } | undefined {
  const parts = key.split('.');
  if (parts[0] !== 'roles') return undefined;
  if (parts.length !== 3 || parts[1] === '' || !(ROLE_SETTINGS as readonly string[]).includes(parts[2]!)) {
    throw usageError(`A role's setting is roles.<name>.<${ROLE_SETTINGS.join('|')}> (got "${key}").`);
  }
  return { name: parts[1]!, field: parts[2]! };
}

function readContents(path: string): ConfigObject {
  if (!existsSync(path)) return {};
  // Loading already refused a file that is not a JSON object, before the command ran.
  return JSON.parse(readFileSync(path, 'utf8')) as ConfigObject;
}

function objectAt(parent: ConfigObject, key: string, path: string): ConfigObject {
  const existing = parent[key];
  if (existing === undefined) return (parent[key] = {}) as ConfigObject;
  if (typeof existing !== 'object' || existing === null || Array.isArray(existing)) throw new AssistantError(`"${key}" in ${path} is not an object; fix it with: assistant config edit`);
  return existing as ConfigObject;
}

/** Owner-only: the file may hold the API key. */
function writeContents(path: string, contents: ConfigObject): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
}
