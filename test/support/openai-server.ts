/**
 * A local OpenAI-compatible server for tests and benchmarks: real HTTP on 127.0.0.1, a
 * random port. It records every request and answers from a queue of scripted replies
 * (or a default), with knobs for latency, status codes, dropped connections and more.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, when there was one. */
  body: any;
  rawBody: Buffer;
}

export interface ChatReply {
  /** The answer; streamed word by word. */
  text?: string;
  /** Milliseconds before the response headers (time to first byte). */
  delayMs?: number;
  /** Milliseconds between streamed chunks. */
  chunkDelayMs?: number;
  /** An HTTP error status instead of an answer; the body is OpenAI's error shape. */
  status?: number;
  errorMessage?: string;
  errorCode?: string;
  headers?: Record<string, string>;
  /** Destroy the socket after this many content chunks (a connection lost mid-answer). */
  dropAfterChunks?: number;
  /** Never answer (for timeouts and Ctrl-C while waiting). */
  hang?: boolean;
  /** Close the connection without any response (a reset before the answer). */
  reset?: boolean;
  /** Answer 200 with a body that is not valid JSON / SSE. */
  malformed?: boolean;
  finishReason?: string;
  model?: string;
  /** After the headers and this many content chunks, send nothing more and keep the connection open until the client goes (an answer still streaming, or a stalled server; without streaming: half the body). */
  stallAfterChunks?: number;
  /** Streaming: after this many content chunks, send nothing more until `until` resolves, then the rest (the test lets the answer go on once it has seen what it waits for). */
  holdAfterChunks?: { chunks: number; until: Promise<unknown> };
  /** While stalled, send an SSE comment (`: ping`) this often, in milliseconds. */
  keepAliveMs?: number;
  /** The message's content is null (streaming: no content deltas at all). */
  nullContent?: boolean;
  /** Answer with a tool call (finish_reason "tool_calls") alongside any text. */
  toolCalls?: boolean;
  /** Reasoning sent as `reasoning_content` before any text. */
  reasoning?: string;
  /** Replaces fields of the usage object, e.g. { prompt_tokens: -5 }. */
  usage?: Record<string, unknown>;
}

export type ReplySource = ChatReply | ((request: RecordedRequest) => ChatReply);

export interface TranscriptionReply {
  text?: string;
  delayMs?: number;
  hang?: boolean;
  reset?: boolean;
  status?: number;
  errorMessage?: string;
  /** Send the headers and half the JSON body, then nothing more, keeping the connection open. */
  stallInBody?: boolean;
}

export interface SpeechReply {
  /** Milliseconds before the first audio byte. */
  delayMs?: number;
  hang?: boolean;
  reset?: boolean;
  /** Cut the connection after this many bytes of audio. */
  dropAfterBytes?: number;
  /** After this many bytes of audio, send nothing more and keep the connection open. */
  stallAfterBytes?: number;
  /** Milliseconds of audio per character of input. Default 12. */
  millisecondsPerCharacter?: number;
  status?: number;
  errorMessage?: string;
  /** Send this instead of generated WAV. */
  body?: Buffer;
}

/** Fields and the uploaded file of a multipart/form-data transcription request. */
export interface TranscriptionUpload {
  fields: Record<string, string>;
  filename: string;
  file: Buffer;
}

export const SPEECH_SAMPLE_RATE = 24_000;

/** What GET /v1/models lists. */
export const MODELS = ['test-model', 'gpt-4o-mini'];

/** By default: echo the last user message, so tests can see what reached the model. */
export const echoReply: ReplySource = (request) => {
  const messages = (request.body?.messages ?? []) as Array<{ role: string; content: string }>;
  const last = [...messages].reverse().find((message) => message.role === 'user');
  return { text: `You said: ${last?.content ?? ''}` };
};

export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = [];
  /** Requests whose client closed the connection before the response was complete (aborted). */
  readonly abandoned: RecordedRequest[] = [];
  private readonly queue: ReplySource[] = [];
  private readonly sockets = new Set<import('node:net').Socket>();
  defaultReply: ReplySource = echoReply;
  /** Scripted transcripts, in order; then defaultTranscript. */
  readonly transcriptions: TranscriptionReply[] = [];
  defaultTranscript: TranscriptionReply = { text: 'hello from the microphone' };
  readonly speechReplies: SpeechReply[] = [];
  defaultSpeech: SpeechReply = {};
  /** Replies for speech requests whose input is exactly this text (every time, retries too); checked before speechReplies. */
  readonly speechByInput = new Map<string, SpeechReply>();
  /** When set, every request without `Authorization: Bearer <this>` is refused with 401, as OpenAI refuses a wrong key. */
  acceptedKey: string | undefined;
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  get transcriptionRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/audio/transcriptions');
  }

  get speechRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/audio/speech');
  }

  /** Requests to the chat endpoint only. */
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/chat/completions');
  }

  /** Forgets requests and scripted replies, and restores the defaults (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.abandoned.length = 0;
    this.queue.length = 0;
    this.transcriptions.length = 0;
    this.speechReplies.length = 0;
    this.speechByInput.clear();
    this.defaultReply = echoReply;
    this.defaultTranscript = { text: 'hello from the microphone' };
    this.defaultSpeech = {};
    this.acceptedKey = undefined;
  }

  /** The next requests get these replies, in order; then the default again. */
  enqueue(...replies: ReplySource[]): void {
    this.queue.push(...replies);
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    let body: any;
    try {
      body = rawBody.length > 0 && String(request.headers['content-type']).includes('json') ? JSON.parse(rawBody.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = { method: request.method ?? 'GET', path: (request.url ?? '/').split('?')[0]!, headers: request.headers, body, rawBody };
    this.requests.push(recorded);
    response.on('close', () => {
      if (!response.writableFinished) this.abandoned.push(recorded);
    });
    if (this.acceptedKey !== undefined && request.headers.authorization !== `Bearer ${this.acceptedKey}`) {
      return sendError(response, 401, 'Incorrect API key provided.', 'invalid_api_key');
    }

    if (recorded.path === '/v1/chat/completions' && recorded.method === 'POST') {
      const source = this.queue.shift() ?? this.defaultReply;
      const reply = typeof source === 'function' ? source(recorded) : source;
      await this.chat(recorded, reply, response);
      return;
    }
    if (recorded.path === '/v1/audio/transcriptions' && recorded.method === 'POST') {
      await this.transcribe(recorded, this.transcriptions.shift() ?? this.defaultTranscript, response);
      return;
    }
    if (recorded.path === '/v1/audio/speech' && recorded.method === 'POST') {
      const scripted = this.speechByInput.get(String(recorded.body?.input ?? ''));
      await this.speak(recorded, scripted ?? this.speechReplies.shift() ?? this.defaultSpeech, response);
      return;
    }
    if (recorded.path === '/v1/models' && recorded.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_test_${this.requests.length}` });
      response.end(JSON.stringify({ object: 'list', data: MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'test' })) }));
      return;
    }
    sendError(response, 404, `Unknown path ${recorded.path}`, 'not_found');
  }

  private async transcribe(request: RecordedRequest, reply: TranscriptionReply, response: ServerResponse): Promise<void> {
    if (reply.hang) return;
    if (reply.reset) return void response.socket?.destroy();
    if (reply.delayMs) await sleep(reply.delayMs);
    if (reply.status && reply.status >= 400) return sendError(response, reply.status, reply.errorMessage ?? 'Scripted failure');
    const upload = parseMultipart(request);
    if (!upload || upload.file.length === 0) return sendError(response, 400, 'No file uploaded');
    response.writeHead(200, { 'content-type': 'application/json' });
    const json = JSON.stringify({ text: reply.text ?? '' });
    if (reply.stallInBody) return void response.write(json.slice(0, json.length >> 1));
    response.end(json);
  }

  private async speak(request: RecordedRequest, reply: SpeechReply, response: ServerResponse): Promise<void> {
    if (reply.hang) return;
    if (reply.reset) return void response.socket?.destroy();
    if (reply.delayMs) await sleep(reply.delayMs);
    if (reply.status && reply.status >= 400) return sendError(response, reply.status, reply.errorMessage ?? 'Scripted failure');
    const input = String(request.body?.input ?? '');
    const wav = reply.body ?? toneWav(input.length * (reply.millisecondsPerCharacter ?? 12));
    response.writeHead(200, { 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' });
    // Stream it in pieces, as a real server does.
    for (let offset = 0; offset < wav.length; offset += 4800) {
      if (reply.dropAfterBytes !== undefined && offset >= reply.dropAfterBytes) return dropConnection(response);
      if (reply.stallAfterBytes !== undefined && offset >= reply.stallAfterBytes) return;
      response.write(wav.subarray(offset, offset + 4800));
      await sleep(1);
    }
    response.end();
  }

  private async chat(request: RecordedRequest, reply: ChatReply, response: ServerResponse): Promise<void> {
    if (reply.hang) return;
    if (reply.reset) return void response.socket?.destroy();
    if (reply.delayMs) await sleep(reply.delayMs);
    if (reply.malformed) {
      const streaming = Boolean(request.body?.stream);
      response.writeHead(200, { 'content-type': streaming ? 'text/event-stream' : 'application/json' });
      response.end(streaming ? 'data: {"choices": [{"delta": {"content": "Hel\n\ndata: not json at all\n\n' : '{"choices": [ this is not json');
      return;
    }
    const requestId = `req_test_${this.requests.length}`;
    if (reply.status && reply.status >= 400) {
      sendError(response, reply.status, reply.errorMessage ?? 'Scripted failure', reply.errorCode, { 'x-request-id': requestId, ...reply.headers });
      return;
    }
    const model = reply.model ?? request.body?.model ?? 'test-model';
    const text = reply.text ?? 'Hello from the test server.';
    const pieces = text.match(/\S+\s*|\s+/g) ?? [];
    const counted = { prompt_tokens: JSON.stringify(request.body?.messages ?? []).length >> 2, completion_tokens: pieces.length, total_tokens: 0 };
    counted.total_tokens = counted.prompt_tokens + counted.completion_tokens;
    const usage = { ...counted, ...reply.usage };
    const created = Math.floor(Date.now() / 1000);
    const id = `chatcmpl-${this.requests.length}`;
    const toolCall = { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } };
    const finishReason = reply.finishReason ?? (reply.toolCalls ? 'tool_calls' : 'stop');
    const stall = (): void => {
      if (!reply.keepAliveMs) return;
      const timer = setInterval(() => response.write(': ping\n\n'), reply.keepAliveMs);
      response.on('close', () => clearInterval(timer));
    };

    if (!request.body?.stream) {
      response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId, ...reply.headers });
      const message = {
        role: 'assistant',
        content: reply.nullContent ? null : text,
        ...(reply.reasoning !== undefined ? { reasoning_content: reply.reasoning } : {}),
        ...(reply.toolCalls ? { tool_calls: [{ id: toolCall.id, type: toolCall.type, function: toolCall.function }] } : {}),
      };
      const json = JSON.stringify({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message, finish_reason: finishReason }], usage });
      if (reply.stallAfterChunks !== undefined) {
        response.write(json.slice(0, json.length >> 1));
        return stall();
      }
      response.end(json);
      return;
    }

    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': requestId, ...reply.headers });
    const send = (payload: unknown): void => {
      response.write(`data: ${JSON.stringify(payload)}\n\n`);
    };
    const chunk = (delta: object, finishReason: string | null): object => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] });
    send(chunk(reply.nullContent ? { role: 'assistant' } : { role: 'assistant', content: '' }, null));
    if (reply.reasoning !== undefined) {
      for (const piece of reply.reasoning.match(/\S+\s*|\s+/g) ?? []) send(chunk({ reasoning_content: piece }, null));
    }
    if (reply.toolCalls) send(chunk({ tool_calls: [toolCall] }, null));
    for (const [index, piece] of (reply.nullContent ? [] : pieces).entries()) {
      if (reply.dropAfterChunks !== undefined && index >= reply.dropAfterChunks) {
        await dropConnection(response);
        return;
      }
      if (reply.stallAfterChunks !== undefined && index >= reply.stallAfterChunks) return stall();
      if (reply.holdAfterChunks?.chunks === index) await reply.holdAfterChunks.until;
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      if (response.destroyed) return;
      send(chunk({ content: piece }, null));
    }
    if (reply.dropAfterChunks !== undefined) {
      await dropConnection(response);
      return;
    }
    if (reply.stallAfterChunks !== undefined) return stall();
    send(chunk({}, finishReason));
    if (request.body?.stream_options?.include_usage) send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    response.end('data: [DONE]\n\n');
  }
}

/** A quiet 440 Hz tone as a 24 kHz mono 16-bit WAV, with the streamed-WAV unknown-length sizes. */
export function toneWav(milliseconds: number): Buffer {
  const samples = Math.round((SPEECH_SAMPLE_RATE * milliseconds) / 1000);
  const data = Buffer.alloc(samples * 2);
  for (let index = 0; index < samples; index += 1) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * index) / SPEECH_SAMPLE_RATE) * 3000), index * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(0xffffffff, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(SPEECH_SAMPLE_RATE, 24);
  header.writeUInt32LE(SPEECH_SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(0xffffffff, 40);
  return Buffer.concat([header, data]);
}

export function parseMultipart(request: RecordedRequest): TranscriptionUpload | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(String(request.headers['content-type']));
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const upload: TranscriptionUpload = { fields: {}, filename: '', file: Buffer.alloc(0) };
  let start = request.rawBody.indexOf(delimiter);
  while (start !== -1) {
    const next = request.rawBody.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = request.rawBody.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const body = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(headers)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    if (filename !== undefined) {
      upload.filename = filename;
      upload.file = Buffer.from(body);
    } else {
      upload.fields[name] = body.toString('utf8');
    }
    start = next;
  }
  return upload;
}

function sendError(response: ServerResponse, status: number, message: string, code?: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: code ?? null } }));
}

/** Lets what was written reach the client, then cuts the connection without ending the response. */
async function dropConnection(response: ServerResponse): Promise<void> {
  await new Promise<void>((resolve) => response.write('', () => resolve()));
  await sleep(20);
  response.socket?.destroy();
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
