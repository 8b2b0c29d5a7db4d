/** `assistant cache stats` and `assistant cache clear`. */
import { ExitCode, type ExitCodeValue } from '../errors.js';
import type { CacheKind } from '../store/store.js';
import { formatBytes, formatTable } from '../ui/format.js';
import type { CommandContext } from './context.js';

const KINDS: CacheKind[] = ['chat', 'speech', 'transcription'];

export async function cacheStats(options: { json: boolean }, context: CommandContext): Promise<ExitCodeValue> {
  const store = await context.openStore();
  const found = await store.cacheStats();
  const kinds = KINDS.map((kind) => found.find((stats) => stats.kind === kind) ?? { kind, entries: 0, bytes: 0, hits: 0 });
  const total = kinds.reduce(
    (sum, stats) => ({ entries: sum.entries + stats.entries, bytes: sum.bytes + stats.bytes, hits: sum.hits + stats.hits }),
    { entries: 0, bytes: 0, hits: 0 },
  );
  const { cacheMaxMegabytes, cacheTtlSeconds } = context.config.values;
  if (options.json) {
    context.terminal.line(
      JSON.stringify({ kinds, total, maxBytes: cacheMaxMegabytes * 1_000_000, ttlSeconds: cacheTtlSeconds ?? null, store: store.description }),
    );
    return ExitCode.Success;
  }
  const rows = [...kinds, { kind: 'total', ...total }].map((stats) => [
    stats.kind,
    String(stats.entries),
    formatBytes(stats.bytes),
    String(stats.hits),
  ]);
  context.terminal.line(formatTable(['KIND', 'ENTRIES', 'SIZE', 'HITS'], rows, new Set([1, 2, 3])));
  const ttl = cacheTtlSeconds === undefined ? 'no expiry' : `entries expire after ${cacheTtlSeconds} s`;
  context.terminal.note(`Limit ${formatBytes(cacheMaxMegabytes * 1_000_000)}, least recently used evicted first; ${ttl}. ${store.description}`);
  return ExitCode.Success;
}

export async function cacheClear(options: { json: boolean }, context: CommandContext): Promise<ExitCodeValue> {
  const store = await context.openStore();
  const removed = await store.cacheClear();
  if (options.json) context.terminal.line(JSON.stringify(removed));
  else context.terminal.note(`Removed ${removed.entries} cache entr${removed.entries === 1 ? 'y' : 'ies'} (${formatBytes(removed.bytes)}).`);
  return ExitCode.Success;
}
