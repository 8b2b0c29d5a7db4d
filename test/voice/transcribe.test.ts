/** Speech to text through the response cache, with the fake transcriber. */
import { describe, expect, it } from 'vitest';
import { transcribeCached } from '../../src/voice/transcribe.js';
import { FakeTranscriber } from '../support/fake-transcriber.js';
import { memoryCache } from '../support/memory-cache.js';

const audio = Buffer.from('RIFF pretend audio');

describe('transcribeCached', () => {
  it('sends the audio once, trims what was heard, and serves the same audio from the cache', async () => {
    const transcriber = new FakeTranscriber(['  What time is it?\n']);
    const options = { transcriber, cache: memoryCache(), model: 'whisper-1', language: 'en' };
    expect(await transcribeCached(audio, 'turn.wav', options)).toEqual({ text: 'What time is it?', cached: false });
    expect(await transcribeCached(audio, 'turn.wav', options)).toEqual({ text: 'What time is it?', cached: true });
    expect(transcriber.requests).toEqual([{ audio, filename: 'turn.wav', model: 'whisper-1', language: 'en' }]);
  });

  it('a failure reaches the caller and caches nothing', async () => {
    const transcriber = new FakeTranscriber(['Second try.']).failNext(new Error('server down'));
    const options = { transcriber, cache: memoryCache(), model: 'whisper-1', language: undefined };
    await expect(transcribeCached(audio, 'turn.wav', options)).rejects.toThrow('server down');
    expect(await transcribeCached(audio, 'turn.wav', options)).toEqual({ text: 'Second try.', cached: false });
    expect(transcriber.requests).toHaveLength(2);
  });
});
