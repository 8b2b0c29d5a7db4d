/** A transcriber that records its requests and answers with scripted text, or fails. */
import type { Transcriber, TranscriptionRequest } from '../../src/speech/speech-models.js';

export class FakeTranscriber implements Transcriber {
  readonly baseURL = 'http://fake-transcription/v1';
  readonly requests: TranscriptionRequest[] = [];
  private readonly answers: Array<string | Error>;

  /** Answers in order; once they run out, every call hears nothing (''). */
  constructor(answers: Array<string | Error> = []) {
    this.answers = [...answers];
  }

  /** The next call fails with `error`. */
  failNext(error: Error): this {
    this.answers.unshift(error);
    return this;
  }

  async transcribe(request: TranscriptionRequest, { signal }: { signal?: AbortSignal }): Promise<{ text: string }> {
    this.requests.push(request);
    signal?.throwIfAborted();
    const answer = this.answers.shift() ?? '';
    if (answer instanceof Error) throw answer;
    return { text: answer };
  }
}
