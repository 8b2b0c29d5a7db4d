/**
 * Faults from the model server, one by one: bounded retries where retrying makes sense,
 * none where it does not, a one-line error, the question kept, a partial answer kept and
 * marked, no cache entry for a failed answer, and talk carrying on after a failed turn.
 */
import { describe, expect, it } from 'vitest';
import { FakeOpenAIServer, type ChatReply } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';
import { TempHome } from '../support/cli.js';

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

const quick = { 'retry-after-ms': '10' };
const env = { ASSISTANT_MAX_RETRIES: '2', TIMEOUT: '0.5' };

interface Fault {
  name: string;
  reply: ChatReply;
  /** How many requests the server should see: 3 when retried twice, 1 when not retried. */
  attempts: number;
  message: RegExp;
  partial?: string;
  /** The request log's error class for every attempt. */
  logged: string;
}

const faults: Fault[] = [
  { name: '429 with retry-after', reply: { status: 429, errorMessage: 'Too many', headers: quick }, attempts: 3, message: /rate limiting requests \(429\) after 2 retries/, logged: 'RateLimitError' },
  { name: '500', reply: { status: 500, errorMessage: 'boom', headers: quick }, attempts: 3, message: /failed with 500 after 2 retries: boom\. Try again later/, logged: 'InternalServerError' },
  { name: '503', reply: { status: 503, errorMessage: 'overloaded', headers: quick }, attempts: 3, message: /failed with 503 after 2 retries: overloaded/, logged: 'InternalServerError' },
  { name: 'slower than TIMEOUT', reply: { hang: true }, attempts: 3, message: /No answer from 127\.0\.0\.1:\d+ within 0\.5 s after 2 retries/, logged: 'Timeout' },
  { name: 'a connection reset before the response', reply: { reset: true }, attempts: 3, message: /The connection to 127\.0\.0\.1:\d+ failed after 2 retries/, logged: 'ConnectionClosed' },
  { name: 'the stream cut mid-answer', reply: { text: 'one two three four', dropAfterChunks: 2 }, attempts: 1, message: /lost mid-answer/, partial: 'one two ', logged: 'StreamCut' },
  { name: 'malformed SSE', reply: { malformed: true }, attempts: 1, message: /sent a malformed answer/, logged: 'MalformedResponse' },
  { name: '401', reply: { status: 401, errorMessage: 'bad key' }, attempts: 1, message: /rejected the API key \(401 Unauthorized\)\. Check OPENAI_API_KEY/, logged: 'AuthenticationError' },
  { name: '404 model not found', reply: { status: 404, errorMessage: 'The model `x` does not exist', errorCode: 'model_not_found' }, attempts: 1, message: /model "gpt-4o-mini" was not found/, logged: 'NotFoundError' },
  { name: '400', reply: { status: 400, errorMessage: 'context too long' }, attempts: 1, message: /rejected the request \(400\): context too long/, logged: 'BadRequestError' },
];

describe('chat faults', () => {
  it.each(faults)('$name', async (fault) => {
    for (let attempt = 0; attempt < fault.attempts; attempt += 1) server.enqueue(fault.reply);
    const result = await home.run(['ask', '--session', 'faulty', 'a question'], { env });

    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Error: /);
    expect(lines[0]).toMatch(fault.message);
    expect(server.chatRequests).toHaveLength(fault.attempts);
    const rows = await home.messageRows();
    expect(rows.map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'a question', 'complete'],
      ['assistant', fault.partial ?? '', 'error'],
    ]);
    expect(await home.rows('SELECT key FROM cache')).toEqual([]);
    // The request log shows each attempt.
    const log = JSON.parse((await home.run(['log', '--json'])).stdout) as Array<{ errorClass?: string }>;
    expect(log).toHaveLength(fault.attempts);
    // Named by what happened: never fetch's bare "TypeError", never "Aborted" for a timeout.
    expect(log.map((row) => row.errorClass)).toEqual(Array(fault.attempts).fill(fault.logged));
  });

  it('connection refused is retried, then explained', async () => {
    const closed = await new FakeOpenAIServer().start();
    const url = closed.url;
    await closed.close();
    const result = await home.run(['ask', 'hi'], { env: { ...env, OPENAI_BASE_URL: url } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Error: Cannot connect to ${url} (connection refused)`);
    const log = JSON.parse((await home.run(['log', '--json'])).stdout) as Array<{ errorClass?: string }>;
    expect(log.map((row) => row.errorClass)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect((await home.messageRows()).map((row) => row.status)).toEqual(['complete', 'error']);
  });
});

describe('talk survives failed turns', () => {
  it('says what failed and carries on, for chat and for speech', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) server.enqueue({ status: 500, errorMessage: 'boom', headers: quick });
    const result = await home.run(['talk', '--text', '--mute'], { input: 'first\nsecond\n', env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Error: 127\.0\.0\.1:\d+ failed with 500 after 2 retries: boom\. Try again later\. Your words were saved; listening again\./);
    expect(result.stdout).toContain('Assistant: You said: second');
  });
});

describe('transcription faults (ask --audio)', () => {
  const transcriptionFaults = [
    { name: '500, retried', reply: { status: 500, errorMessage: 'stt down' }, attempts: 3, message: /failed with 500 after 2 retries: stt down/ },
    { name: '401', reply: { status: 401, errorMessage: 'no' }, attempts: 1, message: /rejected the API key \(401 Unauthorized\)/ },
    { name: '404 model', reply: { status: 404, errorMessage: 'model whisper-x does not exist' }, attempts: 1, message: /The transcription model "gpt-4o-mini-transcribe" was not found .* --stt-model or ASSISTANT_STT_MODEL/ },
    { name: 'a reset connection', reply: { reset: true }, attempts: 3, message: /The connection to 127\.0\.0\.1:\d+ failed after 2 retries/ },
    { name: 'slower than TIMEOUT', reply: { hang: true }, attempts: 3, message: /No answer from 127\.0\.0\.1:\d+ within 0\.5 s after 2 retries/ },
  ];

  it.each(transcriptionFaults)('$name', async (fault) => {
    const { writeFileSync } = await import('node:fs');
    const { encodeWav } = await import('../../src/audio/wav.js');
    const { speechLike, silence } = await import('../support/audio-fixtures.js');
    const memo = `${home.root}/memo.wav`;
    writeFileSync(memo, encodeWav(Buffer.concat([silence(300), speechLike(1200), silence(300)])));
    for (let attempt = 0; attempt < fault.attempts; attempt += 1) server.transcriptions.push(fault.reply);
    const result = await home.run(['ask', '--audio', memo], { env });
    server.transcriptions.length = 0;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(fault.message);
    expect(server.transcriptionRequests).toHaveLength(fault.attempts);
    expect(server.chatRequests).toHaveLength(0);
    expect(await home.rows('SELECT key FROM cache')).toEqual([]);
  });
});
