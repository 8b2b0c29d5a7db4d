// Loaded with `node --import` (NODE_OPTIONS) by tests that check what a command loads:
// appends the URL of every module the process loads to the file named by
// ASSISTANT_TEST_MODULE_TRACE. Plain JavaScript: the CLI under test runs without tsx.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// The hooks run in their own thread, which loads this file again: register once, from the main thread.
if (isMainThread) register(import.meta.url);

export async function load(url, context, nextLoad) {
  appendFileSync(process.env.ASSISTANT_TEST_MODULE_TRACE, `${url}\n`);
  return nextLoad(url, context);
}
