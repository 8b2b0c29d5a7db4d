/**
 * Preloaded into the CLI by the memory benchmark (node --expose-gc --require this file).
 * On SIGUSR2: a full garbage collection, then what is still alive (the JS heap, and the
 * memory outside it that JS objects hold: Buffers) appended as one JSON line to
 * ASSISTANT_BENCH_HEAP_FILE. RSS alone is a high-water mark that moves with V8's heap sizing
 * (garbage not yet collected, compiled code); what is left after a full collection is what a
 * leak grows.
 */
const { appendFileSync } = require('node:fs');

process.on('SIGUSR2', () => {
  // Twice: the first collection can leave objects that only die once their finalizers ran.
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, external, rss } = process.memoryUsage();
  appendFileSync(process.env.ASSISTANT_BENCH_HEAP_FILE, `${JSON.stringify({ heapUsed, external, rss })}\n`);
});
