/**
 * Configuration, merged once: defaults -> config file -> .env -> environment -> flags.
 * Every value remembers where it came from, so `assistant config` can tell.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { AssistantError } from './errors.js';

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
  /** Longest single utterance, in seconds. Default 30. */
  maxUtteranceSeconds: number;
  /** Largest question (argument and piped text together), in bytes. Default 1 MB. */
  maxInputBytes: number;
  /** Requests per minute across every assistant process using this store. Unset: no limit. */
  maxRequestsPerMinute: number | undefined;
  /** Tokens (in + out) per rolling 24 hours across every process. Unset: no limit. */
  maxTokensPerDay: number | undefined;
  /** Days the request log is kept. Default 90. */
  logRetentionDays: number;
  /** Prices by model over the built-in table: {"my-model": {"input": 0.1, "output": 0.4}} (dollars per million tokens; also perMinute, perMillionCharacters). */
  prices: Record<string, { input?: number; output?: number; perMinute?: number; perMillionCharacters?: number }> | undefined;
}

export type ConfigKey = keyof Config;

/** Values given on the command line, still raw ("0.7"); undefined means not given. */
export type ConfigFlags = { [Key in ConfigKey]?: string | number | undefined };

export interface ConfigSource {
  kind: 'default' | 'config file' | '.env' | 'environment' | 'flag';
  /** The variable, file or flag the value came from. */
  detail?: string;
}

export interface ResolvedConfig {
  values: Config;
  sources: Record<ConfigKey, ConfigSource>;
  configFile: string;
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

interface Setting {
  key: ConfigKey;
  environmentVariable: string;
  parse: Parser;
  fallback: (context: ConfigContext) => unknown;
}

const text: Parser = (raw, origin) => {
  if (typeof raw !== 'string') throw invalid(origin, 'must be a string', raw);
  return raw;
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

function oneOf(...choices: string[]): Parser {
  return (raw, origin) => {
    if (typeof raw !== 'string' || !choices.includes(raw)) throw invalid(origin, `must be one of ${choices.join(', ')}`, raw);
    return raw;
  };
}

const url: Parser = (raw, origin) => {
  const value = text(raw, origin) as string;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw invalid(origin, 'must be an http:// or https:// URL', raw);
  }
  return value.replace(/\/+$/, '');
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
  { key: 'apiKey', environmentVariable: 'OPENAI_API_KEY', parse: text, fallback: () => undefined },
  { key: 'baseURL', environmentVariable: 'OPENAI_BASE_URL', parse: url, fallback: () => 'https://api.openai.com/v1' },
  { key: 'model', environmentVariable: 'ASSISTANT_MODEL', parse: text, fallback: () => 'gpt-4o-mini' },
  { key: 'temperature', environmentVariable: 'ASSISTANT_TEMPERATURE', parse: numberIn(0, 2), fallback: () => undefined },
  { key: 'system', environmentVariable: 'ASSISTANT_SYSTEM', parse: text, fallback: () => undefined },
  { key: 'timeoutSeconds', environmentVariable: 'TIMEOUT', parse: numberIn(0.1, 3600), fallback: () => 15 },
  { key: 'maxRetries', environmentVariable: 'ASSISTANT_MAX_RETRIES', parse: numberIn(0, 10, true), fallback: () => 2 },
  { key: 'maxRetryWaitSeconds', environmentVariable: 'ASSISTANT_MAX_RETRY_WAIT', parse: numberIn(0, 86_400), fallback: () => 60 },
  {
    key: 'databaseUrl',
    environmentVariable: 'DATABASE_URL',
    parse: text,
    fallback: (context) => join(dataDirectory(context), 'assistant.db'),
  },
  { key: 'contextTokens', environmentVariable: 'ASSISTANT_CONTEXT_TOKENS', parse: numberIn(0, 10_000_000, true), fallback: () => 16_000 },
  { key: 'cacheAnswers', environmentVariable: 'ASSISTANT_CACHE_ANSWERS', parse: oneOf('auto', 'always', 'never'), fallback: () => 'auto' },
  { key: 'cacheMaxMegabytes', environmentVariable: 'ASSISTANT_CACHE_MAX_MB', parse: numberIn(0, 1_000_000), fallback: () => 200 },
  { key: 'cacheTtlSeconds', environmentVariable: 'ASSISTANT_CACHE_TTL', parse: duration, fallback: () => undefined },
  { key: 'sttBaseURL', environmentVariable: 'ASSISTANT_STT_BASE_URL', parse: url, fallback: () => undefined },
  { key: 'sttModel', environmentVariable: 'ASSISTANT_STT_MODEL', parse: text, fallback: () => 'gpt-4o-mini-transcribe' },
  { key: 'language', environmentVariable: 'ASSISTANT_LANGUAGE', parse: text, fallback: () => undefined },
  { key: 'ttsBaseURL', environmentVariable: 'ASSISTANT_TTS_BASE_URL', parse: url, fallback: () => undefined },
  { key: 'ttsModel', environmentVariable: 'ASSISTANT_TTS_MODEL', parse: text, fallback: () => 'gpt-4o-mini-tts' },
  { key: 'voice', environmentVariable: 'ASSISTANT_VOICE', parse: text, fallback: () => 'alloy' },
  { key: 'speed', environmentVariable: 'ASSISTANT_SPEED', parse: numberIn(0.25, 4), fallback: () => 1 },
  { key: 'player', environmentVariable: 'ASSISTANT_PLAYER', parse: text, fallback: () => 'play' },
  { key: 'device', environmentVariable: 'ASSISTANT_DEVICE', parse: text, fallback: () => undefined },
  { key: 'silenceMilliseconds', environmentVariable: 'ASSISTANT_SILENCE_MS', parse: numberIn(100, 10_000, true), fallback: () => 700 },
  { key: 'maxUtteranceSeconds', environmentVariable: 'ASSISTANT_MAX_UTTERANCE', parse: numberIn(1, 600), fallback: () => 30 },
  { key: 'maxInputBytes', environmentVariable: 'ASSISTANT_MAX_INPUT', parse: byteSize, fallback: () => 1_000_000 },
  { key: 'maxRequestsPerMinute', environmentVariable: 'ASSISTANT_MAX_REQUESTS_PER_MINUTE', parse: numberIn(1, 1_000_000, true), fallback: () => undefined },
  { key: 'maxTokensPerDay', environmentVariable: 'ASSISTANT_MAX_TOKENS_PER_DAY', parse: numberIn(1, 1e12, true), fallback: () => undefined },
  { key: 'logRetentionDays', environmentVariable: 'ASSISTANT_LOG_RETENTION_DAYS', parse: numberIn(1, 36_500), fallback: () => 90 },
  { key: 'prices', environmentVariable: 'ASSISTANT_PRICES', parse: priceTable, fallback: () => undefined },
];

export function environmentVariableOf(key: ConfigKey): string {
  return settings.find((setting) => setting.key === key)?.environmentVariable ?? key;
}

export function loadConfig(context: ConfigContext, flags: ConfigFlags = {}): ResolvedConfig {
  const configFile = join(configDirectory(context), 'config.json');
  const fromFile = readConfigFile(configFile);
  const dotenvPath = join(context.cwd, '.env');
  const fromDotenv = readDotenv(dotenvPath);
  const warnings: string[] = [];
  if (existsSync(dotenvPath) && (statSync(dotenvPath).mode & 0o077) !== 0 && Object.keys(fromDotenv).some((name) => /KEY|TOKEN|SECRET|PASSWORD|DATABASE_URL/i.test(name))) {
    const mode = (statSync(dotenvPath).mode & 0o777).toString(8);
    warnings.push(`${dotenvPath} holds secrets and others can read it (mode ${mode}). Run: chmod 600 ${dotenvPath}`);
  }
  const values = {} as Record<ConfigKey, unknown>;
  const sources = {} as Record<ConfigKey, ConfigSource>;

  for (const setting of settings) {
    const { key, environmentVariable: variable } = setting;
    const flag = flags[key];
    const fromEnvironment = context.env[variable];
    if (flag !== undefined) {
      values[key] = setting.parse(flag, flagName(key));
      sources[key] = { kind: 'flag' };
    } else if (fromEnvironment !== undefined && fromEnvironment !== '') {
      values[key] = setting.parse(fromEnvironment, variable);
      sources[key] = { kind: 'environment', detail: variable };
    } else if (fromDotenv[variable] !== undefined && fromDotenv[variable] !== '') {
      values[key] = setting.parse(fromDotenv[variable], `${variable} in .env`);
      sources[key] = { kind: '.env', detail: variable };
    } else if (fromFile[key] !== undefined && fromFile[key] !== null) {
      values[key] = setting.parse(fromFile[key], `"${key}" in ${configFile}`);
      sources[key] = { kind: 'config file', detail: configFile };
    } else {
      values[key] = setting.fallback(context);
      sources[key] = { kind: 'default' };
    }
  }
  return { values: values as unknown as Config, sources, configFile, warnings };
}

/** The command-line flag that sets a key, for error messages. */
function flagName(key: ConfigKey): string {
  if (key === 'silenceMilliseconds') return '--silence';
  if (key === 'maxInputBytes') return '--max-input';
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

function readConfigFile(path: string): Partial<Record<ConfigKey, unknown>> {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AssistantError(`${path} is not valid JSON: ${(error as Error).message}. Fix or remove it.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AssistantError(`${path} must hold a JSON object such as {"model": "gpt-4o-mini"}.`);
  }
  const known = new Set<string>(settings.map((setting) => setting.key));
  const unknown = Object.keys(parsed).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new AssistantError(`${path} has unknown setting(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}.`);
  }
  return parsed as Partial<Record<ConfigKey, unknown>>;
}

function readDotenv(path: string): Record<string, string | undefined> {
  if (!existsSync(path)) return {};
  try {
    return parseEnv(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AssistantError(`Cannot read ${path}: ${(error as Error).message}.`);
  }
}
