/**
 * The browser's microphone as 16 kHz 16-bit samples: getUserMedia with the browser's echo
 * cancellation (so hands-free mode can hear the person over the answer playing), an audio
 * worklet that hands over the raw samples, and a downsampler to the rate transcription wants.
 * Opened once, on the first press, and kept open: asking again on every press would re-prompt
 * on some browsers and cut first syllables.
 */
import { ApiError } from './api.js';
import { Downsampler } from './wav.js';

export const CAPTURE_RATE = 16_000;

export class Microphone {
  private context: AudioContext | undefined;
  private stream: MediaStream | undefined;
  private opening: Promise<void> | undefined;
  /** Receives every chunk of samples while the microphone is open. */
  onSamples: (samples: Int16Array) => void = () => {};

  constructor(private readonly workletUrl: string) {}

  get open(): boolean {
    return this.context !== undefined;
  }

  /** Opens the microphone if it is not open; rejects with an ApiError a person can act on. */
  async start(): Promise<void> {
    this.opening ??= this.openOnce().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    await this.opening;
  }

  close(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    void this.context?.close();
    this.context = undefined;
    this.stream = undefined;
    this.opening = undefined;
  }

  private async openOnce(): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) throw new ApiError('This browser gives no microphone to this page (it needs HTTPS). Type instead.', 'microphone');
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
    } catch (error) {
      throw microphoneError(error);
    }
    const context = new AudioContext();
    await context.audioWorklet.addModule(this.workletUrl);
    const source = context.createMediaStreamSource(this.stream);
    // No outputs: the node is processed for its input alone and plays nothing back.
    const node = new AudioWorkletNode(context, 'capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
    const downsampler = new Downsampler(context.sampleRate, CAPTURE_RATE);
    let first = true;
    node.port.onmessage = (message: MessageEvent<Float32Array>) => {
      // A mark for the benchmark: when the microphone's audio began to arrive.
      if (first) performance.mark('assistant:microphone-start');
      first = false;
      this.onSamples(downsampler.push(message.data));
    };
    source.connect(node);
    await context.resume();
    this.context = context;
  }
}

function microphoneError(error: unknown): ApiError {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return new ApiError('Microphone permission was denied. Allow the microphone for this site in the browser (the icon beside the address), or type instead.', 'microphone');
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return new ApiError('No microphone was found. Connect one, or type instead.', 'microphone');
  if (name === 'NotReadableError') return new ApiError('The microphone is in use by another program. Close it, or type instead.', 'microphone');
  return new ApiError(`The microphone could not be opened (${name || String(error)}).`, 'microphone');
}
