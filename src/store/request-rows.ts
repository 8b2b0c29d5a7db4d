/** The request log's columns, shared by the SQLite and PostgreSQL stores. */
import type { RequestRecord, StoredRequest } from './store.js';

export const requestColumns = [
  'at', 'session_id', 'turn_key', 'endpoint', 'host', 'model', 'status', 'error_class', 'attempt', 'latency_ms',
  'first_byte_ms', 'first_token_ms', 'input_tokens', 'output_tokens', 'audio_seconds', 'characters', 'cached', 'request_id',
] as const;

export type RequestRow = { id: number } & Record<(typeof requestColumns)[number], any>;

const rounded = (value: number | undefined): number | null => (value === undefined ? null : Math.round(value));

/** Values in the order of requestColumns. */
export function toRequestValues(record: RequestRecord): Array<string | number | boolean | null> {
  return [
    Math.round(record.at), record.sessionId ?? null, record.turnKey ?? null, record.endpoint, record.host, record.model ?? null,
    record.status ?? null, record.errorClass ?? null, record.attempt, rounded(record.latencyMs), rounded(record.firstByteMs),
    rounded(record.firstTokenMs), record.inputTokens ?? null, record.outputTokens ?? null, record.audioSeconds ?? null,
    record.characters ?? null, record.cached, record.requestId ?? null,
  ];
}

export function fromRequestRow(row: RequestRow): StoredRequest {
  const value = <T>(column: T | null): T | undefined => column ?? undefined;
  return {
    id: row.id,
    at: row.at,
    sessionId: value(row.session_id),
    turnKey: value(row.turn_key),
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
  };
}
