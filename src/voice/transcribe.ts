/** Speech to text with the response cache: the same audio is never transcribed twice. */
import { createHash } from 'node:crypto';
import type { ResponseCache } from '../cache/response-cache.js';
import { hostOf } from '../chat/openai-errors.js';
import type { TraceContext } from '../observability/request-log.js';
import type { Transcriber } from '../speech/speech-models.js';

export interface TranscribeOptions {
  transcriber: Transcriber;
  cache: ResponseCache;
  model: string;
  language: string | undefined;
  signal?: AbortSignal;
  trace?: TraceContext;
}

export async function transcribeCached(audio: Uint8Array, filename: string, options: TranscribeOptions): Promise<{ text: string; cached: boolean }> {
  const { transcriber, cache, model, language, signal, trace } = options;
  const audioHash = createHash('sha256').update(audio).digest('hex');
  const key = cache.key('transcription', { baseURL: transcriber.baseURL, model, language, audioHash });
  const hit = await cache.get(key, { ...trace, host: hostOf(transcriber.baseURL) });
  if (hit?.text !== undefined) return { text: hit.text, cached: true };
  const { text } = await transcriber.transcribe({ audio, filename, model, language }, { ...(signal ? { signal } : {}), ...(trace ? { trace } : {}) });
  const cleaned = text.trim();
  // Tagged with the session, so deleting the session deletes what was heard in it.
  await cache.put('transcription', key, { model, text: cleaned, metadata: { bytes: audio.byteLength }, ...(trace?.sessionId ? { sessionId: trace.sessionId } : {}) });
  return { text: cleaned, cached: false };
}
