/** RMS level of 16-bit little-endian PCM in dBFS (-100 for digital silence). */
export function decibels(frame: Buffer): number {
  const samples = frame.length >> 1;
  if (samples === 0) return -100;
  let sum = 0;
  for (let index = 0; index < samples; index += 1) {
    const sample = frame.readInt16LE(index * 2);
    sum += sample * sample;
  }
  const rms = Math.sqrt(sum / samples) / 32768;
  return rms <= 0.00001 ? -100 : 20 * Math.log10(rms);
}
