/**
 * Runs the test server by hand, to try `assistant` without a real model:
 *   npx tsx test/support/serve.ts [port]
 * then, in another terminal: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 assistant ask "hi"
 */
import { FakeOpenAIServer } from './openai-server.js';

const server = await new FakeOpenAIServer().start(Number(process.argv[2] ?? 0));
process.stderr.write(`OpenAI-compatible test server: OPENAI_BASE_URL=${server.url}\n`);
