import { describe, expect, it } from 'vitest';
import { AssistantError } from '../../src/errors.js';
import { NotFoundFallbackSynthesizer } from '../../src/speech/not-found-fallback.js';
import type { SpeechRequest, Synthesizer } from '../../src/speech/speech-models.js';

const request: SpeechRequest = { text: 'Hello.', model: 'gpt-4o-mini-tts', voice: 'alloy', speed: 1, format: 'wav' };

/** A server without /audio/speech: every request fails as the OpenAI adapter reports a 404. */
class NotFoundServer implements Synthesizer {
  readonly baseURL = 'http://localhost:11434/v1';
  calls = 0;
  constructor(private readonly status = 404) {}
  async synthesize(): Promise<AsyncIterable<Uint8Array>> {
    this.calls += 1;
    throw new AssistantError(`${this.baseURL} answered ${this.status} Not Found.`, { cause: Object.assign(new Error('not found'), { status: this.status }) });
  }
}

class LocalEngine implements Synthesizer {
  readonly baseURL = 'espeak-ng:["espeak-ng","--stdout"]';
  readonly texts: string[] = [];
  async synthesize(request: SpeechRequest): Promise<AsyncIterable<Uint8Array>> {
    this.texts.push(request.text);
    return (async function* () {
      yield new Uint8Array([1]);
    })();
  }
}

describe('NotFoundFallbackSynthesizer', () => {
  it('switches to the local engine on the first 404, for good, and says so once even when two requests fail at once', async () => {
    const remote = new NotFoundServer();
    const local = new LocalEngine();
    const notes: string[] = [];
    let made = 0;
    const synthesizer = new NotFoundFallbackSynthesizer(remote, { name: 'espeak-ng', make: () => ((made += 1), local), note: (message) => notes.push(message) });
    expect(synthesizer.baseURL).toBe(remote.baseURL);
    await Promise.all([synthesizer.synthesize({ ...request, text: 'One.' }, {}), synthesizer.synthesize({ ...request, text: 'Two.' }, {})]);
    await synthesizer.synthesize({ ...request, text: 'Three.' }, {});
    expect(local.texts).toEqual(['One.', 'Two.', 'Three.']);
    expect(remote.calls).toBe(2);
    expect(made).toBe(1);
    expect(notes).toEqual([
      'Note: http://localhost:11434/v1 has no text-to-speech (it answered 404, as Ollama does); speaking with espeak-ng instead. --tts chooses the engine, --mute turns speech off.',
    ]);
    // Speech cached from now on is keyed by the engine that made it.
    expect(synthesizer.baseURL).toBe(local.baseURL);
  });

  it('without a fallback, a 404 says to use --tts espeak; other errors pass unchanged', async () => {
    const synthesizer = new NotFoundFallbackSynthesizer(new NotFoundServer(), undefined);
    await expect(synthesizer.synthesize(request, {})).rejects.toThrow(
      'http://localhost:11434/v1 answered 404 Not Found. If this server has no text-to-speech (Ollama has none), speak with a local engine: --tts espeak (Debian/Ubuntu: sudo apt install espeak-ng; macOS: brew install espeak-ng).',
    );
    const failing = new NotFoundFallbackSynthesizer(new NotFoundServer(500), { name: 'espeak-ng', make: () => new LocalEngine(), note: () => {} });
    await expect(failing.synthesize(request, {})).rejects.toThrow(/^http:\/\/localhost:11434\/v1 answered 500 Not Found\.$/);
  });
});
