/**
 * WebRTC's voice-activity detector (libfvad compiled to WASM, @echogarden/fvad-wasm): a
 * small Gaussian-mixture model over sub-band energies that tells voiced speech from steady
 * noise. Pure WASM (20 KB), nothing downloaded, loads in milliseconds; classifies a frame
 * synchronously.
 */
import type { SpeechClassifier } from './speech-classifier.js';

/** The parts of the Emscripten module we call (libfvad's C API). */
interface FvadModule {
  _fvad_new(): number;
  _fvad_set_mode(instance: number, mode: number): number;
  _fvad_set_sample_rate(instance: number, sampleRate: number): number;
  _fvad_process(instance: number, frame: number, length: number): number;
  _fvad_reset(instance: number): void;
  _malloc(bytes: number): number;
  HEAP16: Int16Array;
}

export interface WebRtcOptions {
  sampleRate: number;
  /** Frame length in milliseconds: 10, 20 or 30. Default 20. */
  frameMilliseconds?: number;
  /** Aggressiveness 0 (quality) to 3 (very aggressive against noise). Default 3. */
  mode?: 0 | 1 | 2 | 3;
}

export class WebRtcClassifier implements SpeechClassifier {
  readonly name = 'webrtc';
  private readonly samples: number;

  private constructor(
    private readonly module: FvadModule,
    private readonly instance: number,
    private readonly buffer: number,
    private readonly settings: Required<WebRtcOptions>,
  ) {
    this.samples = Math.round((settings.sampleRate * settings.frameMilliseconds) / 1000);
  }

  /** Instantiates the WASM module; rejects when it cannot (the caller falls back to energy). */
  static async load({ sampleRate, frameMilliseconds = 20, mode = 3 }: WebRtcOptions): Promise<WebRtcClassifier> {
    const { default: createModule } = await import('@echogarden/fvad-wasm');
    const module = (await createModule()) as FvadModule;
    const instance = module._fvad_new();
    if (instance === 0) throw new Error('fvad_new failed');
    const settings = { sampleRate, frameMilliseconds, mode };
    configure(module, instance, settings);
    const samples = Math.round((sampleRate * frameMilliseconds) / 1000);
    return new WebRtcClassifier(module, instance, module._malloc(samples * 2), settings);
  }

  isSpeech(frame: Buffer): boolean {
    if (frame.length !== this.samples * 2) return false;
    // Re-read HEAP16 each time: it is replaced when WASM memory grows.
    const aligned = frame.byteOffset % 2 === 0 ? frame : Buffer.from(frame);
    this.module.HEAP16.set(new Int16Array(aligned.buffer, aligned.byteOffset, this.samples), this.buffer >> 1);
    return this.module._fvad_process(this.instance, this.buffer, this.samples) === 1;
  }

  reset(): void {
    // fvad_reset also puts mode and sample rate back to libfvad's defaults (8 kHz): set them again.
    this.module._fvad_reset(this.instance);
    configure(this.module, this.instance, this.settings);
  }
}

function configure(module: FvadModule, instance: number, { sampleRate, mode }: Required<WebRtcOptions>): void {
  if (module._fvad_set_sample_rate(instance, sampleRate) !== 0) throw new Error(`WebRTC VAD does not support ${sampleRate} Hz`);
  if (module._fvad_set_mode(instance, mode) !== 0) throw new Error(`WebRTC VAD has no mode ${String(mode)}`);
}
