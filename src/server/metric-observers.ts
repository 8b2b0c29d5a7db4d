/**
 * Where the server's metrics come from: decorators around the parts server-app.ts builds once
 * (the chat model, the transcriber and synthesizer, the response cache, the store, and the
 * gateway's request log), so every route and the turn core are observed without a timer of
 * their own. Each decorator passes everything through unchanged.
 */
import { ResponseCache } from '../cache/response-cache.js';
import type { ChatModel } from '../chat/chat-model.js';
import { isAbortError } from '../chat/chat-model.js';
import { errorClassOf, type RequestLog } from '../observability/request-log.js';
import type { Synthesizer, Transcriber } from '../speech/speech-models.js';
import type { CacheEntry, CacheKind, RequestEndpoint, Store } from '../store/store.js';
import type { ServerMetrics, Stage } from './metrics.js';

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** A failure worth counting: not a client (or the user) going away. */
function countFailure(metrics: ServerMetrics, endpoint: RequestEndpoint, error: unknown): void {
  const errorClass = errorClassOf(error);
  if (isAbortError(error) || errorClass === 'Aborted') return;
  metrics.observeUpstreamError(endpoint, statusOf(error), errorClass);
}

/** The HTTP status in an error or its causes (an AssistantError keeps the SDK's APIError as its cause). */
function statusOf(error: unknown): number | undefined {
  let cause = error;
  for (let depth = 0; depth < 5 && cause; depth += 1) {
    const status = (cause as { status?: unknown }).status;
    if (typeof status === 'number') return status;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The chat model, timing each answer (to its first text, and whole) and counting the calls that fail. */
export function observedChatModel(inner: ChatModel, metrics: ServerMetrics): ChatModel {
  return {
    baseURL: inner.baseURL,
    async *generate(request, options) {
      const started = performance.now();
      let first = true;
      try {
        for await (const event of inner.generate(request, options)) {
          if (first && event.type === 'text') {
            first = false;
            metrics.observeStage('first_token', seconds(started));
          }
          yield event;
        }
      } catch (error) {
        countFailure(metrics, 'chat', error);
        throw error;
      }
      metrics.observeStage('chat', seconds(started));
    },
  };
}

export function observedTranscriber(inner: Transcriber, metrics: ServerMetrics): Transcriber {
  return {
    baseURL: inner.baseURL,
    async transcribe(request, options) {
      const started = performance.now();
      try {
        const transcript = await inner.transcribe(request, options);
        metrics.observeStage('transcription', seconds(started));
        return transcript;
      } catch (error) {
        countFailure(metrics, 'transcription', error);
        throw error;
      }
    },
  };
}

/** The synthesizer, timed to the last byte of the audio (the stream ends after synthesize() resolves). */
export function observedSynthesizer(inner: Synthesizer, metrics: ServerMetrics): Synthesizer {
  return {
    baseURL: inner.baseURL,
    async synthesize(request, options) {
      const started = performance.now();
      let audio: AsyncIterable<Uint8Array>;
      try {
        audio = await inner.synthesize(request, options);
      } catch (error) {
        countFailure(metrics, 'speech', error);
        throw error;
      }
      return (async function* () {
        try {
          yield* audio;
        } catch (error) {
          countFailure(metrics, 'speech', error);
          throw error;
        }
        metrics.observeStage('speech', seconds(started));
      })();
    },
  };
}

const GATEWAY_STAGES: Partial<Record<RequestEndpoint, Stage>> = { chat: 'chat', transcription: 'transcription', speech: 'speech' };

/**
 * The gateway's request log: the gateway forwards OpenAI's wire format itself (not through the
 * models above), and writes one row per upstream call when it is over; its time and outcome
 * are read from that row. Rows still go to `inner`.
 */
export function observedGatewayLog(inner: RequestLog | undefined, metrics: ServerMetrics): RequestLog {
  return {
    record: (records) => {
      for (const record of records) {
        if (record.cached) continue;
        if (record.errorClass !== undefined) {
          if (record.errorClass !== 'Aborted') metrics.observeUpstreamError(record.endpoint, record.status, record.errorClass);
          continue;
        }
        const stage = GATEWAY_STAGES[record.endpoint];
        if (stage && record.latencyMs !== undefined) metrics.observeStage(stage, record.latencyMs / 1000);
      }
      inner?.record(records);
    },
    flush: async () => inner?.flush(),
  };
}

/** Keys remembered with their kind, so a miss (which has no entry to tell) is counted under it. */
const REMEMBERED_KEYS = 10_000;

/** The response cache, counting lookups by kind: a hit knows its entry's kind, a miss its key's. */
export class ObservedResponseCache extends ResponseCache {
  private readonly kinds = new Map<string, CacheKind>();

  constructor(
    private readonly metrics: ServerMetrics,
    ...cache: ConstructorParameters<typeof ResponseCache>
  ) {
    super(...cache);
  }

  override key(kind: CacheKind, parts: Record<string, unknown>): string {
    const key = super.key(kind, parts);
    // Bounded: keys made for a write only (never looked up) must not pile up.
    if (this.kinds.size >= REMEMBERED_KEYS) this.kinds.clear();
    this.kinds.set(key, kind);
    return key;
  }

  override async get(...lookup: Parameters<ResponseCache['get']>): Promise<CacheEntry | undefined> {
    const hit = await super.get(...lookup);
    const kind = hit?.kind ?? this.kinds.get(lookup[0]);
    if (kind !== undefined) this.metrics.observeCacheLookup(kind, hit !== undefined);
    return hit;
  }
}

/** The store, timing its writes of messages and turns; every other method is the store's own. */
export function observedStore<S extends Pick<Store, 'appendMessage' | 'recordTurn'>>(store: S, metrics: ServerMetrics): S {
  const timed = <T>(write: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    return write().then((result) => {
      metrics.observeStage('store_write', seconds(started));
      return result;
    });
  };
  const writes: Pick<Store, 'appendMessage' | 'recordTurn'> = {
    appendMessage: (message) => timed(() => store.appendMessage(message)),
    recordTurn: (turn) => timed(() => store.recordTurn(turn)),
  };
  // A proxy rather than a copy: the routes' store grows methods, and each must stay bound to the store itself.
  return new Proxy(store, {
    get(target, property) {
      if (property === 'appendMessage' || property === 'recordTurn') return writes[property];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
