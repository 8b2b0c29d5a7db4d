/** `assistant config`: the effective settings and where each came from, secrets redacted. */
import { existsSync } from 'node:fs';
import { environmentVariableOf, type ConfigKey, type ConfigSource, type DotenvReport } from '../config.js';
import { AssistantError, ExitCode, type ExitCodeValue } from '../errors.js';
import { URL_SETTINGS, redactUrlPassword } from '../secrets.js';
import { parseStoreLocation, type StoreLocation } from '../store/open-store.js';
import { formatTable } from '../ui/format.js';
import type { CommandContext } from './context.js';

export async function showConfig(options: { json: boolean }, context: CommandContext): Promise<ExitCodeValue> {
  const { values, sources, configFile, dotenv } = context.config;
  const entries = (Object.keys(values) as ConfigKey[]).map((key) => ({
    key,
    value: displayValue(key, values[key]),
    variable: environmentVariableOf(key),
    source: sources[key],
  }));
  // A DATABASE_URL that does not parse is shown as a problem, not a crash: this is where people look.
  let store: { location: StoreLocation } | { problem: string };
  try {
    store = { location: parseStoreLocation(values.databaseUrl, context.cwd) };
  } catch (error) {
    if (!(error instanceof AssistantError)) throw error;
    store = { problem: error.message };
  }
  const detector = await activeDetector(values);
  if (options.json) {
    context.terminal.line(
      JSON.stringify({
        settings: Object.fromEntries(entries.map((entry) => [entry.key, { value: entry.value, source: entry.source.kind, variable: entry.variable }])),
        configFile,
        store: 'location' in store ? store.location.kind : { problem: store.problem },
        detector,
        ...(dotenv ? { dotenv } : {}),
      }),
    );
    return ExitCode.Success;
  }
  const rows = entries.map((entry) => [entry.key, entry.value ?? '(unset)', entry.variable, describe(entry.source)]);
  context.terminal.line(formatTable(['SETTING', 'VALUE', 'VARIABLE', 'FROM'], rows));
  const storeText =
    'problem' in store ? store.problem : store.location.kind === 'sqlite' ? `SQLite ${store.location.path}` : `PostgreSQL ${redactUrlPassword(store.location.url)}`;
  const lines = [`Store: ${storeText}`, `Config file: ${configFile}${existsSync(configFile) ? '' : ' (not present)'}`, `Speech detector (talk): ${detector}`];
  const roleNames = Object.keys(context.config.roles);
  if (roleNames.length > 0) lines.push(`Roles (--role, see assistant roles): ${roleNames.join(', ')}`);
  if (dotenv) lines.push(...describeDotenv(dotenv));
  context.terminal.note(lines.join('\n'));
  return ExitCode.Success;
}

function describeDotenv(dotenv: DotenvReport): string[] {
  const lines = [`.env: ${dotenv.path} (${dotenv.trusted ? 'trusted: it may set everything' : 'untrusted: see README "Configuration"'})`];
  for (const refusal of dotenv.refused) lines.push(`  ignored ${refusal.variable}: ${refusal.reason}`);
  return lines;
}

function displayValue(key: ConfigKey, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (key === 'apiKey') return '(set, redacted)';
  if ((URL_SETTINGS as readonly string[]).includes(key)) return redactUrlPassword(String(value));
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function describe(source: ConfigSource): string {
  if (source.kind === 'config file') return 'config file';
  if (source.kind === 'role') return `role ${source.detail ?? ''}`.trimEnd();
  return source.kind;
}

/** Which detector `talk` would use, found by loading it as `talk` does (a configured one that cannot load shows the fallback and why). */
async function activeDetector(values: CommandContext['config']['values']): Promise<string> {
  const { loadSpeechClassifier } = await import('../audio/speech-detectors/load-classifier.js');
  const { RECORDING_FORMAT } = await import('../audio/wav.js');
  return (await loadSpeechClassifier({ choice: values.detector, sampleRate: RECORDING_FORMAT.sampleRate, modelPath: values.detectorModel })).description;
}
