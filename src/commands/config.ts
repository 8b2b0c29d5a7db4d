/** `assistant config`: the effective settings and where each came from, secrets redacted. */
import { existsSync } from 'node:fs';
import { environmentVariableOf, type ConfigKey, type ConfigSource } from '../config.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { redactUrlPassword } from '../secrets.js';
import { parseStoreLocation } from '../store/open-store.js';
import { formatTable } from '../ui/format.js';
import type { CommandContext } from './context.js';

export async function showConfig(options: { json: boolean }, context: CommandContext): Promise<ExitCodeValue> {
  const { values, sources, configFile } = context.config;
  const entries = (Object.keys(values) as ConfigKey[]).map((key) => ({
    key,
    value: displayValue(key, values[key]),
    variable: environmentVariableOf(key),
    source: sources[key],
  }));
  if (options.json) {
    context.terminal.line(
      JSON.stringify({
        settings: Object.fromEntries(entries.map((entry) => [entry.key, { value: entry.value, source: entry.source.kind, variable: entry.variable }])),
        configFile,
        store: parseStoreLocation(values.databaseUrl, context.cwd).kind,
      }),
    );
    return ExitCode.Success;
  }
  const rows = entries.map((entry) => [entry.key, entry.value ?? '(unset)', entry.variable, describe(entry.source)]);
  context.terminal.line(formatTable(['SETTING', 'VALUE', 'VARIABLE', 'FROM'], rows));
  const location = parseStoreLocation(values.databaseUrl, context.cwd);
  const store = location.kind === 'sqlite' ? `SQLite ${location.path}` : `PostgreSQL ${redactUrlPassword(location.url)}`;
  context.terminal.note(`Store: ${store}\nConfig file: ${configFile}${existsSync(configFile) ? '' : ' (not present)'}`);
  return ExitCode.Success;
}

function displayValue(key: ConfigKey, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (key === 'apiKey') return '(set, redacted)';
  if (key === 'databaseUrl') return redactUrlPassword(String(value));
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function describe(source: ConfigSource): string {
  if (source.kind === 'config file') return 'config file';
  return source.kind;
}
