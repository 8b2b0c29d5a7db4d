/** 16-bit mono PCM as a WAV file, for the transcription upload. No DOM or Node types: tested under Node. */
export function encodeWav(samples: Int16Array, sampleRate: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(44 + samples.length * 2));
  const view = new DataView(bytes.buffer);
  const text = (offset: number, value: string): void => {
    for (let index = 0; index < value.length; index += 1) view.setUint8(offset + index, value.charCodeAt(index));
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let index = 0; index < samples.length; index += 1) view.setInt16(44 + index * 2, samples[index]!, true);
  return bytes;
}

/**
 * Float samples at the audio context's rate to 16-bit samples at `targetRate`, averaging each
 * output sample's span of input (a box filter: enough against aliasing for speech recognition).
 * Keeps the fraction left over between chunks.
 */
export class Downsampler {
  private readonly ratio: number;
  private carry: number[] = [];

  constructor(sourceRate: number, readonly targetRate: number) {
    this.ratio = sourceRate / targetRate;
  }

  push(input: Float32Array): Int16Array {
    const source = this.carry.length === 0 ? input : Float32Array.from([...this.carry, ...input]);
    const count = Math.floor(source.length / this.ratio);
    const output = new Int16Array(count);
    for (let index = 0; index < count; index += 1) {
      const start = Math.floor(index * this.ratio);
      const end = Math.max(start + 1, Math.floor((index + 1) * this.ratio));
      let sum = 0;
      for (let position = start; position < end; position += 1) sum += source[position]!;
      const value = Math.max(-1, Math.min(1, sum / (end - start)));
      output[index] = Math.round(value < 0 ? value * 32768 : value * 32767);
    }
    this.carry = Array.from(source.subarray(Math.floor(count * this.ratio)));
    return output;
  }
}
