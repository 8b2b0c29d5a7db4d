/**
 * The Store: everything `assistant` keeps between runs. Sessions and their append-only
 * messages, turns, the request log, the response cache and serve's personal tokens, as small
 * capabilities (a part asks only for the ones it uses) whose union is Store. One implementation
 * (sql-store.ts) serves SQLite, the embedded default, and PostgreSQL; the conformance suite in
 * test/store/ runs on both.
 */

export type Role = 'system' | 'user' | 'assistant';

/** complete: the whole message; interrupted: cut short by the user; error: cut short by a failure. */
export type MessageStatus = 'complete' | 'interrupted' | 'error';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface NewMessage {
  sessionId: string;
  role: Role;
  content: string;
  status?: MessageStatus;
  model?: string | undefined;
  usage?: TokenUsage | undefined;
  /** The answer came from the response cache, not the model. */
  cached?: boolean;
  /**
   * The question this message answers. When that question is gone (its session was deleted
   * while the answer was being written), nothing is stored and SessionDeletedError is thrown:
   * a deleted session stays deleted.
   */
  replyTo?: number | undefined;
  /** Recorded on the session (created, or updated to these values): who owns it and how it talks. */
  session?: SessionSettings | undefined;
}

/** What a session remembers so that continuing it talks the same way. */
export interface SessionSettings {
  /** Who started it, "user@host" (recorded when the session is created only): `--continue` picks the latest session of this owner. */
  owner?: string | undefined;
  /** The system prompt; null: none. */
  system?: string | null | undefined;
  /** The chat model asked for. */
  model?: string | undefined;
  /** The sampling temperature; null: the server's default. */
  temperature?: number | null | undefined;
}

/** The question an answer belongs to was deleted, with its session, while the answer was written. */
export class SessionDeletedError extends Error {
  constructor(readonly sessionId: string) {
    super(`Session ${sessionId} was deleted while the answer was being written; the answer was discarded.`);
    this.name = 'SessionDeletedError';
  }
}

export interface StoredMessage {
  id: number;
  sessionId: string;
  role: Role;
  content: string;
  status: MessageStatus;
  model: string | undefined;
  usage: TokenUsage | undefined;
  cached: boolean;
  createdAt: Date;
}

export interface SessionSummary {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  messageCount: number;
  /** The start of the first user message. */
  preview: string;
  /** Undefined for sessions written before owners and settings were recorded. */
  owner?: string | undefined;
  system?: string | undefined;
  model?: string | undefined;
  temperature?: number | undefined;
}

export interface SearchHit {
  sessionId: string;
  messageId: number;
  role: Role;
  createdAt: Date;
  /** An excerpt around the match; the matched words are wrapped in SNIPPET_MARK_START/END. */
  snippet: string;
}

export const SNIPPET_MARK_START = '\u0002';
export const SNIPPET_MARK_END = '\u0003';

/** chat: answers; speech: synthesized audio; transcription: speech-to-text results. */
export type CacheKind = 'chat' | 'speech' | 'transcription';

export interface NewCacheEntry {
  key: string;
  kind: CacheKind;
  model: string;
  /** Exactly one of text and blob holds the value. */
  text?: string;
  blob?: Uint8Array;
  /** Small facts about the value (usage, content type), stored as JSON. */
  metadata?: Record<string, unknown>;
  /** The session whose exchange produced it; deleting that session removes the entry. */
  sessionId?: string;
}

/** What an entry counts against the cache's size bound: its value's bytes. */
export function cacheEntrySize(entry: Pick<NewCacheEntry, 'text' | 'blob'>): number {
  return entry.blob?.byteLength ?? Buffer.byteLength(entry.text ?? '');
}

export interface CacheEntry extends NewCacheEntry {
  size: number;
  createdAt: Date;
  lastHitAt: Date;
  hitCount: number;
}

export interface CacheKindStats {
  kind: CacheKind;
  entries: number;
  bytes: number;
  hits: number;
}

/** Stage times of one conversational turn, milliseconds since the epoch. */
export interface TurnTimings {
  /** When the person stopped speaking (the last voiced audio). */
  speechEndedAt?: number | undefined;
  /** When end of speech was detected (speechEndedAt + the trailing silence). */
  endpointAt?: number | undefined;
  transcriptAt?: number | undefined;
  firstTokenAt?: number | undefined;
  firstSentenceAt?: number | undefined;
  /** When the first audio bytes went to the player. */
  firstAudioAt?: number | undefined;
  audioDoneAt?: number | undefined;
}

export interface NewTurn {
  sessionId: string;
  /** Ties the turn to its rows in the request log. */
  turnKey?: string | undefined;
  /** CPU time the process spent on the turn, in milliseconds. */
  cpuMilliseconds?: number | undefined;
  /** The process's peak resident memory so far, in bytes. */
  peakRssBytes?: number | undefined;
  userMessageId: number | undefined;
  assistantMessageId: number | undefined;
  input: 'voice' | 'text' | 'audio-file';
  status: MessageStatus;
  timings: TurnTimings;
}

export interface StoredTurn extends NewTurn {
  id: number;
  timeToFirstAudioMilliseconds: number | undefined;
  createdAt: Date;
}

export type RequestEndpoint = 'chat' | 'transcription' | 'speech' | 'models';

/** One attempt of one call to a model endpoint (or one answer served from the cache). Never content, never keys. */
export interface RequestRecord {
  /** Milliseconds since the epoch, when the attempt started. */
  at: number;
  sessionId?: string | undefined;
  turnKey?: string | undefined;
  /** The name of the personal token the call was made for (`assistant serve`); never the token itself. */
  token?: string | undefined;
  endpoint: RequestEndpoint;
  /** The server's host (no path, no credentials). */
  host: string;
  model?: string | undefined;
  /** The HTTP status; undefined when no response came. */
  status?: number | undefined;
  /** Why it failed: an HTTP class ("RateLimitError") or a network error code ("ECONNREFUSED"). */
  errorClass?: string | undefined;
  /** 1 for the first try, 2 for the first retry... */
  attempt: number;
  latencyMs?: number | undefined;
  firstByteMs?: number | undefined;
  firstTokenMs?: number | undefined;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  audioSeconds?: number | undefined;
  characters?: number | undefined;
  cached: boolean;
  requestId?: string | undefined;
  /** Made before its turn was committed (talk's speculative start); the turn key says whether the turn used it. */
  speculative?: boolean | undefined;
}

export interface StoredRequest extends RequestRecord {
  id: number;
}

export interface RequestFilter {
  /** Only rows at or after this time (ms since the epoch). */
  since?: number | undefined;
  sessionId?: string | undefined;
  model?: string | undefined;
  /** Only calls made for this token name (serve). */
  token?: string | undefined;
  errorsOnly?: boolean | undefined;
  limit?: number | undefined;
}

export interface StoreSize {
  /** Bytes on disk (SQLite: the file and its WAL; PostgreSQL: the tables with their indexes). */
  bytes: number;
  rows: Record<string, number>;
}

/** Sessions and their append-only messages: what a conversation reads and writes. */
export interface SessionStore {
  /** Appends one message, creating its session when it is new. */
  appendMessage(message: NewMessage): Promise<StoredMessage>;
  /**
   * The session with the most recent activity; with `owner`, the latest of that owner's
   * sessions (sessions from before owners were recorded count as anyone's).
   */
  latestSessionId(owner?: string): Promise<string | undefined>;
  getSession(id: string): Promise<SessionSummary | undefined>;
  /**
   * Newest activity first; with `owner`, only that owner's sessions (exactly: unlike
   * latestSessionId, sessions without an owner are nobody's), filtered in the query.
   */
  listSessions(options: { limit: number; owner?: string | undefined }): Promise<SessionSummary[]>;
  /** Oldest first. */
  messages(sessionId: string): Promise<StoredMessage[]>;
  /**
   * Full-text search, newest first; `query` is plain text (no query syntax), every word must
   * match; with `owner`, only in that owner's sessions (as listSessions); with `session`, only in that one.
   */
  search(query: string, options: { limit: number; owner?: string | undefined; session?: string | undefined }): Promise<SearchHit[]>;
  /** Removes a session, its messages and the cache entries it produced; returns how many messages went, undefined when there was no such session. */
  deleteSession(id: string): Promise<number | undefined>;
}

/** Stage timings of conversational turns. */
export interface TurnStore {
  /** Records a turn's stage timings (the time to first audio is derived from them). */
  recordTurn(turn: NewTurn): Promise<StoredTurn>;
  turns(sessionId: string): Promise<StoredTurn[]>;
  /** Turns matching the filter (its sessionId and since), oldest first. */
  turnsMatching(filter: RequestFilter): Promise<StoredTurn[]>;
}

/** What the spend guard reads: the totals the limits are checked against. */
export interface RequestTotals {
  /** Requests sent (not served from the cache) and tokens used since a time, by every process. */
  requestTotals(since: number): Promise<{ requests: number; tokens: number }>;
}

/** The request log. */
export interface RequestStore extends RequestTotals {
  /** Appends rows to the request log. */
  recordRequests(records: RequestRecord[]): Promise<void>;
  /** The request log, newest first. */
  requests(filter: RequestFilter): Promise<StoredRequest[]>;
  /** Deletes request-log rows older than `before` (ms since the epoch); returns how many. */
  pruneRequests(before: number): Promise<number>;
}

/** The two methods the response cache uses. */
export interface CacheStore {
  /** A fresh entry (younger than ttlSeconds when given), counted as a hit; undefined on a miss. */
  cacheGet(key: string, options: { ttlSeconds?: number | undefined }): Promise<CacheEntry | undefined>;
  /**
   * Stores an entry; with a bound, then (when the cache is over maxBytes) evicts the least
   * recently used entries until it fits keepBytes: a pass over the whole cache, which
   * ResponseCache asks for only now and then.
   */
  cachePut(entry: NewCacheEntry, bound?: CacheBound): Promise<void>;
}

/** When to evict (over maxBytes) and down to what (keepBytes, maxBytes unless given). */
export interface CacheBound {
  maxBytes?: number | undefined;
  keepBytes?: number | undefined;
}

/** Looking after the cache as a whole: `assistant cache` and `db copy`. */
export interface CacheAdmin {
  cacheStats(): Promise<CacheKindStats[]>;
  /** Every cache entry, for copying to another store. */
  cacheEntries(): AsyncIterable<CacheEntry>;
  /** Adds a cache entry unless its key is there already; true when added. */
  importCacheEntry(entry: CacheEntry): Promise<boolean>;
  cacheClear(): Promise<{ entries: number; bytes: number }>;
}

/** A personal token to give `assistant token create`: only the hash of its secret comes to the store. */
export interface NewToken {
  /** Who it is for ("alice"): unique, what list, revoke and the request log name it by. */
  name: string;
  /** SHA-256 hex of the secret (hashTokenSecret in src/tokens/token-secret.ts). */
  hash: string;
  /** At most this many requests a minute; undefined: no limit. */
  requestsPerMinute?: number | undefined;
  /** At most this many model tokens (in + out) a day; undefined: no limit. */
  tokensPerDay?: number | undefined;
}

/** A personal token as the store gives it back: never its secret, nor the hash of it. */
export interface TokenRecord {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | undefined;
  /** Set once revoked: requests with the token are refused from then on. */
  revokedAt: Date | undefined;
  requestsPerMinute: number | undefined;
  tokensPerDay: number | undefined;
}

/** A token as `db copy` moves it: with the hash of its secret (never the secret), so it still authenticates after the move. */
export interface TokenForCopy extends TokenRecord {
  hash: string;
}

/** Personal tokens for `assistant serve`: created, listed and revoked by `assistant token`, checked on every request. */
export interface TokenStore {
  /** Adds a token; a name taken already (revoked or not) is an AssistantError. */
  createToken(token: NewToken): Promise<TokenRecord>;
  /** Every token, revoked ones too, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** Revokes the token of that name (a second revoke keeps the first time); false when there is no such token. */
  revokeToken(name: string): Promise<boolean>;
  /** The token whose secret hashes to `hash`, revoked or not (check revokedAt); one indexed lookup. */
  tokenByHash(hash: string): Promise<TokenRecord | undefined>;
  /** Records a use at `at` (ms since the epoch); an earlier time than the one recorded changes nothing. */
  touchToken(id: string, at: number): Promise<void>;
}

/**
 * Counters behind the per-token limits of `assistant serve`, kept in the store so every replica
 * on one database counts the same requests: each call is one atomic statement, never a read then
 * a write. Windows are identified by their start (ms since the epoch), chosen by the caller.
 */
export interface TokenUsageStore {
  /**
   * Counts one request in the minute starting at `windowStart` if fewer than `limit` were counted
   * there already; true when counted (allowed), false when the window is full (nothing changes).
   */
  countRequest(tokenId: string, windowStart: number, limit: number): Promise<boolean>;
  /** Adds `tokens` (prompt + completion) to the day starting at `dayStart`. */
  addTokens(tokenId: string, dayStart: number, tokens: number): Promise<void>;
  /** The tokens added to the day starting at `dayStart` (0 when none). */
  tokensUsed(tokenId: string, dayStart: number): Promise<number>;
}

/** Everything `assistant` keeps, with the store's own housekeeping. Parts ask for the capabilities above instead, where they can. */
export interface Store extends SessionStore, TurnStore, RequestStore, CacheStore, CacheAdmin, TokenStore, TokenUsageStore {
  /** Where the data lives, for messages to a person (never holds a password). */
  readonly description: string;
  size(): Promise<StoreSize>;
  /**
   * Adds a session and those of its messages it does not have yet (same time, role and
   * content), keeping their times: copying twice changes nothing. Returns how many were added.
   */
  importSession(session: SessionSummary, messages: StoredMessage[]): Promise<number>;
  /** Every token with its hash, oldest first (db copy). */
  tokensForCopy(): Promise<TokenForCopy[]>;
  /**
   * Adds a token with its id, hash, limits and times. The same token there already (same id and
   * hash) keeps the earlier revocation and the later use: `already-there`. Another token holding its
   * name or hash: nothing changes, `name-taken`.
   */
  importToken(token: TokenForCopy): Promise<'added' | 'already-there' | 'name-taken'>;
  close(): Promise<void>;
}
