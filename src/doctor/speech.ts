/**
 * The speech checks: one tiny text-to-speech request ("ok") and one transcription of half a
 * second of silence, each to the server it goes to in `talk`. A 404 is how a chat-only server
 * (Ollama, llama.cpp) says it has no such endpoint.
 */
import { RECORDING_FORMAT, encodeWav } from '../audio/wav.js';
import { ok, problem, warning, type CheckResult } from './check.js';
import { keyFix, request, shownUrl, type Endpoint, type Fetch, type HttpOutcome } from './http.js';

export interface SpeechSettings {
  model: string;
  endpoint: Endpoint;
}

export async function checkTextToSpeech(fetch: Fetch, settings: SpeechSettings & { voice: string }, signal: AbortSignal): Promise<CheckResult> {
  const body = JSON.stringify({ model: settings.model, voice: settings.voice, input: 'ok', response_format: 'wav' });
  const outcome = await request(fetch, settings.endpoint, '/audio/speech', { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
  return judge('tts', '/audio/speech', settings, outcome, {
    missing: 'speak with a local engine (--tts espeak), point ASSISTANT_TTS_BASE_URL at a server with speech, or use --mute',
    answered: (bytes) => `${settings.model} on ${shownUrl(settings.endpoint.baseURL)} spoke (${bytes} bytes of audio)`,
  });
}

export async function checkSpeechToText(fetch: Fetch, settings: SpeechSettings, signal: AbortSignal): Promise<CheckResult> {
  const silence = encodeWav(Buffer.alloc(RECORDING_FORMAT.sampleRate), RECORDING_FORMAT);
  const form = new FormData();
  form.set('model', settings.model);
  form.set('file', new Blob([silence], { type: 'audio/wav' }), 'doctor.wav');
  const outcome = await request(fetch, settings.endpoint, '/audio/transcriptions', { method: 'POST', body: form, signal });
  return judge('stt', '/audio/transcriptions', settings, outcome, {
    missing: 'point ASSISTANT_STT_BASE_URL at a Whisper-compatible server, or type with talk --text',
    answered: () => `${settings.model} on ${shownUrl(settings.endpoint.baseURL)} transcribed a test clip`,
  });
}

function judge(
  name: string,
  path: string,
  settings: SpeechSettings,
  outcome: HttpOutcome,
  words: { missing: string; answered: (bytes: number) => string },
): CheckResult {
  const where = shownUrl(settings.endpoint.baseURL);
  if (outcome.kind === 'unreachable') return problem(name, `cannot reach ${where} (${outcome.reason})`, `start the server or check ${name === 'tts' ? 'ASSISTANT_TTS_BASE_URL' : 'ASSISTANT_STT_BASE_URL'} / OPENAI_BASE_URL`);
  const { status } = outcome;
  if (status === 404) return warning(name, `${where} has no ${path} (HTTP 404)`, words.missing);
  if (status === 401 || status === 403) return problem(name, `${where} refused the key for ${path} (HTTP ${status})`, keyFix(settings.endpoint.apiKey));
  if (status === 400) return problem(name, `${where} rejected the request to ${path} (HTTP 400); the model ${settings.model} may not exist there`, `check ${name === 'tts' ? '--tts-model / ASSISTANT_TTS_MODEL' : '--stt-model / ASSISTANT_STT_MODEL'}`);
  if (status < 200 || status >= 300) return problem(name, `${where} answered HTTP ${status} to ${path}`, "check the server's logs");
  return ok(name, words.answered(outcome.body.byteLength));
}
