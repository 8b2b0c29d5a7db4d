/**
 * The server's application built from a command context: the store, the model, the shared
 * answer cache and the metrics, as `assistant serve` and the Vercel function (vercel-entry.ts)
 * both run it, so the two serve the same routes with the same parts.
 */
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../commands/context.js';
import type { Store } from '../store/store.js';
import { createApp, type RequestLogLine } from './app.js';
import { BackgroundWrites } from './background-writes.js';
import { observedChatModel, observedGatewayLog, ObservedResponseCache, observedStore, observedSynthesizer, observedTranscriber } from './metric-observers.js';
import { ServerMetrics } from './metrics.js';
import { secretsOf } from '../secrets.js';

export interface ServerApp {
  app: ReturnType<typeof createApp>;
  /** The opened store: the caller closes it, after `settle`. */
  store: Store;
  /** Waits for the writes left after the responses (a token's last use, the request log's rows). */
  settle(): Promise<void>;
}

/** `tls`: the server terminates TLS itself (production then needs no proxy's word for it). */
export async function serverApp(context: CommandContext, log: (line: RequestLogLine) => void, { tls }: { tls: boolean }): Promise<ServerApp> {
  const settings = context.config.values;
  const store = await context.openStore();
  const metrics = new ServerMetrics();
  const background = new BackgroundWrites();
  // The metrics' one source: every part a route or the turn core uses is observed here (metric-observers.ts).
  const chatModel = observedChatModel(context.chatModel(), metrics);
  const cache = new ObservedResponseCache(
    metrics,
    store,
    { enabled: true, maxBytes: settings.cacheMaxMegabytes * 1_000_000, ttlSeconds: settings.cacheTtlSeconds },
    context.requestLog,
    () => metrics.observeCacheWriteFailure(),
  );
  const app = createApp(
    {
      store: observedStore(store, metrics),
      chatModel,
      cache,
      tokens: store,
      usage: store,
      speech: { transcriber: observedTranscriber(context.transcriber(), metrics), synthesizer: observedSynthesizer(context.synthesizer(), metrics) },
      guard: context.spendGuard(store, false),
      ready: async () => void (await store.getSession('readiness-probe')),
      log,
      metrics,
      background,
      gateway: { upstream: { baseURL: settings.baseURL, apiKey: settings.apiKey, timeoutMilliseconds: settings.timeoutSeconds * 1000 }, fetch: globalThis.fetch, cache, requestLog: observedGatewayLog(context.requestLog, metrics) },
    },
    {
      version: packageVersion(),
      model: settings.model,
      system: settings.system,
      temperature: settings.temperature,
      contextTokens: settings.contextTokens,
      cacheAnswers: settings.cacheAnswers,
      maxInputBytes: settings.maxInputBytes,
      secrets: secretsOf(settings),
      environment: settings.environment,
      trustedProxyHops: settings.trustedProxyHops,
      tls,
      corsOrigins: settings.corsOrigins,
      speech: { sttModel: settings.sttModel, language: settings.language, voice: { model: settings.ttsModel, voice: settings.voice, speed: settings.speed } },
    },
  );
  const settle = async (): Promise<void> => {
    await background.settle();
    await context.requestLog.flush();
  };
  return { app, store, settle };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
