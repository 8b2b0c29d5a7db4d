/**
 * Runs the test server by hand, to try `assistant` without a real model:
 *   npx tsx test/support/serve.ts [port]
 * then, in another terminal: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 assistant ask "hi"
 * Chat echoes what you said; transcription answers FAKE_TRANSCRIPT (|-separated, in turn). Realistic delays, in ms:
 * FAKE_TRANSCRIPTION_MS, FAKE_FIRST_TOKEN_MS, FAKE_TOKEN_MS, FAKE_SPEECH_MS.
 */
import { FakeOpenAIServer, echoReply } from './openai-server.js';

const delay = (name: string): number => Number(process.env[name] ?? 0);
const server = await new FakeOpenAIServer().start(Number(process.argv[2] ?? 0));
server.defaultReply = (request) => ({ ...(typeof echoReply === 'function' ? echoReply(request) : echoReply), delayMs: delay('FAKE_FIRST_TOKEN_MS'), chunkDelayMs: delay('FAKE_TOKEN_MS') });
// FAKE_TRANSCRIPT="first|second": one transcript per request, the last one repeating.
const transcripts = (process.env.FAKE_TRANSCRIPT ?? 'hello from the microphone').split('|');
server.defaultTranscript = { text: transcripts.at(-1)!, delayMs: delay('FAKE_TRANSCRIPTION_MS') };
server.transcriptions.push(...transcripts.slice(0, -1).map((text) => ({ text, delayMs: delay('FAKE_TRANSCRIPTION_MS') })));
server.defaultSpeech = { delayMs: delay('FAKE_SPEECH_MS') };
process.stderr.write(`OpenAI-compatible test server: OPENAI_BASE_URL=${server.url}\n`);
