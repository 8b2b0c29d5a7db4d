/** `assistant roles`: the roles of the config file, each with what it sets. */
import { ROLE_SETTINGS } from '../config.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { formatTable } from '../ui/format.js';
import type { CommandContext } from './context.js';

/** A system prompt is shown on one line, cut here; --json has it whole. */
const PROMPT_PREVIEW = 60;

export async function listRoles(options: { json: boolean; names?: boolean }, context: CommandContext): Promise<ExitCodeValue> {
  const { roles, configFile } = context.config;
  if (options.names === true) {
    for (const name of Object.keys(roles)) context.terminal.line(name);
    return ExitCode.Success;
  }
  if (options.json) {
    context.terminal.json(roles);
    return ExitCode.Success;
  }
  const names = Object.keys(roles);
  if (names.length === 0) {
    context.terminal.note(`No roles yet. Add one to ${configFile}, e.g.: assistant config set roles.reviewer.system "You review code tersely."`);
    return ExitCode.Success;
  }
  const rows = names.map((name) => [name, ...ROLE_SETTINGS.map((key) => preview(roles[name]![key]))]);
  context.terminal.line(formatTable(['ROLE', ...ROLE_SETTINGS.map((key) => key.toUpperCase())], rows));
  return ExitCode.Success;
}

function preview(text: string | undefined): string {
  if (text === undefined) return '-';
  const line = text.replace(/\s+/gu, ' ').trim();
  return line.length > PROMPT_PREVIEW ? `${line.slice(0, PROMPT_PREVIEW - 1)}…` : line;
}
