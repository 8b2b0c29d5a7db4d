/**
 * Rows as both dialects return them (same column names; SQLite and PostgreSQL differ only in
 * how booleans and JSON arrive) turned into the Store's objects, and back for the request log.
 */
import type { CacheEntry, CacheKind, MessageStatus, NewTurn, RequestRecord, Role, SessionSettings, SessionSummary, StoredMessage, StoredRequest, StoredTurn, TokenRecord } from './store.js';

export interface MessageRow {
  id: number;
  session_id: string;
  role: Role;
  content: string;
  status: MessageStatus;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** 0/1 on SQLite, a boolean on PostgreSQL. */
  cached: number | boolean;
  created_at: number;
}

export interface SessionRow {
  id: string;
  created_at: number;
  updated_at: number;
  message_count: number;
  preview: string;
  owner?: string | null;
  system?: string | null;
  model?: string | null;
  temperature?: number | null;
}

export interface TurnRow {
  id: number;
  session_id: string;
  user_message_id: number | null;
  assistant_message_id: number | null;
  input: NewTurn['input'];
  status: MessageStatus;
  speech_ended_at: number | null;
  endpoint_at: number | null;
  transcript_at: number | null;
  first_token_at: number | null;
  first_sentence_at: number | null;
  first_audio_at: number | null;
  audio_done_at: number | null;
  time_to_first_audio_ms: number | null;
  created_at: number;
  turn_key: string | null;
  cpu_ms: number | null;
  peak_rss_bytes: number | null;
}

export interface CacheRow {
  key: string;
  kind: CacheKind;
  model: string;
  value_text: string | null;
  value_blob: Buffer | null;
  /** JSON text on SQLite, already parsed (JSONB) on PostgreSQL. */
  metadata: string | Record<string, unknown> | null;
  /** Missing (undefined) in databases of the first development build (6d82f73), whose migration 1 predates it. */
  session_id: string | null;
  size: number;
  created_at: number;
  last_hit_at: number;
  hit_count: number;
}

/** A token as the store reads it: every column but the hash, which is only ever looked up. */
export interface TokenRow {
  id: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  requests_per_minute: number | null;
  tokens_per_day: number | null;
}

/** The columns of TokenRow, for SELECT and RETURNING. */
export const tokenColumns = 'id, name, created_at, last_used_at, revoked_at, requests_per_minute, tokens_per_day';

/**
 * The session columns that record its settings (system prompt, model, temperature) with their
 * latest values; undefined fields are left out, so they stay as they are. The owner is not among
 * them: it is set once, when the session is created.
 */
export function sessionSettingsColumns(settings: SessionSettings): { columns: Array<'system' | 'model' | 'temperature'>; values: unknown[] } {
  const columns: Array<'system' | 'model' | 'temperature'> = [];
  const values: unknown[] = [];
  for (const column of ['system', 'model', 'temperature'] as const) {
    if (settings[column] === undefined) continue;
    columns.push(column);
    values.push(settings[column]);
  }
  return { columns, values };
}

export function toSession(row: SessionRow): SessionSummary {
  return {
    id: row.id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    messageCount: row.message_count,
    preview: row.preview,
    ...(row.owner != null ? { owner: row.owner } : {}),
    ...(row.system != null ? { system: row.system } : {}),
    ...(row.model != null ? { model: row.model } : {}),
    ...(row.temperature != null ? { temperature: Number(row.temperature) } : {}),
  };
}

export function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    sessionId: row.session_id,
    role: row.role,
    content: row.content,
    status: row.status,
    model: row.model ?? undefined,
    usage:
      row.prompt_tokens === null && row.completion_tokens === null
        ? undefined
        : { promptTokens: row.prompt_tokens ?? 0, completionTokens: row.completion_tokens ?? 0 },
    cached: row.cached === 1 || row.cached === true,
    createdAt: new Date(row.created_at),
  };
}

export function toTurn(row: TurnRow): StoredTurn {
  const value = (column: number | null): number | undefined => column ?? undefined;
  return {
    id: row.id,
    sessionId: row.session_id,
    turnKey: row.turn_key ?? undefined,
    cpuMilliseconds: value(row.cpu_ms),
    peakRssBytes: value(row.peak_rss_bytes),
    userMessageId: value(row.user_message_id),
    assistantMessageId: value(row.assistant_message_id),
    input: row.input,
    status: row.status,
    timings: {
      speechEndedAt: value(row.speech_ended_at),
      endpointAt: value(row.endpoint_at),
      transcriptAt: value(row.transcript_at),
      firstTokenAt: value(row.first_token_at),
      firstSentenceAt: value(row.first_sentence_at),
      firstAudioAt: value(row.first_audio_at),
      audioDoneAt: value(row.audio_done_at),
    },
    timeToFirstAudioMilliseconds: value(row.time_to_first_audio_ms),
    createdAt: new Date(row.created_at),
  };
}

export function toToken(row: TokenRow): TokenRecord {
  const time = (column: number | null): Date | undefined => (column === null ? undefined : new Date(column));
  return {
    id: row.id,
    name: row.name,
    createdAt: new Date(row.created_at),
    lastUsedAt: time(row.last_used_at),
    revokedAt: time(row.revoked_at),
    requestsPerMinute: row.requests_per_minute ?? undefined,
    tokensPerDay: row.tokens_per_day ?? undefined,
  };
}

export function toCacheEntry(row: CacheRow): CacheEntry {
  return {
    key: row.key,
    kind: row.kind,
    model: row.model,
    ...(row.value_text !== null ? { text: row.value_text } : {}),
    ...(row.value_blob !== null ? { blob: new Uint8Array(row.value_blob) } : {}),
    ...(row.metadata !== null ? { metadata: typeof row.metadata === 'string' ? (JSON.parse(row.metadata) as Record<string, unknown>) : row.metadata } : {}),
    ...(row.session_id !== null ? { sessionId: row.session_id } : {}),
    size: row.size,
    createdAt: new Date(row.created_at),
    lastHitAt: new Date(row.last_hit_at),
    hitCount: row.hit_count,
  };
}

export const requestColumns = [
  'at', 'session_id', 'turn_key', 'endpoint', 'host', 'model', 'status', 'error_class', 'attempt', 'latency_ms',
  'first_byte_ms', 'first_token_ms', 'input_tokens', 'output_tokens', 'audio_seconds', 'characters', 'cached', 'request_id', 'token_name', 'speculative',
] as const;

export type RequestRow = { id: number } & Record<(typeof requestColumns)[number], any>;

const rounded = (value: number | undefined): number | null => (value === undefined ? null : Math.round(value));

/** Values in the order of requestColumns. */
export function toRequestValues(record: RequestRecord): Array<string | number | boolean | null> {
  return [
    Math.round(record.at), record.sessionId ?? null, record.turnKey ?? null, record.endpoint, record.host, record.model ?? null,
    record.status ?? null, record.errorClass ?? null, record.attempt, rounded(record.latencyMs), rounded(record.firstByteMs),
    rounded(record.firstTokenMs), record.inputTokens ?? null, record.outputTokens ?? null, record.audioSeconds ?? null,
    record.characters ?? null, record.cached, record.requestId ?? null, record.token ?? null, record.speculative === true,
  ];
}

export function fromRequestRow(row: RequestRow): StoredRequest {
  const value = <T>(column: T | null): T | undefined => column ?? undefined;
  return {
    id: row.id,
    at: row.at,
    sessionId: value(row.session_id),
    turnKey: value(row.turn_key),
    token: value(row.token_name),
    endpoint: row.endpoint,
    host: row.host,
    model: value(row.model),
    status: value(row.status),
    errorClass: value(row.error_class),
    attempt: row.attempt,
    latencyMs: value(row.latency_ms),
    firstByteMs: value(row.first_byte_ms),
    firstTokenMs: value(row.first_token_ms),
    inputTokens: value(row.input_tokens),
    outputTokens: value(row.output_tokens),
    audioSeconds: value(row.audio_seconds),
    characters: value(row.characters),
    cached: row.cached === true || row.cached === 1,
    requestId: value(row.request_id),
    ...(row.speculative === true || row.speculative === 1 ? { speculative: true } : {}),
  };
}
