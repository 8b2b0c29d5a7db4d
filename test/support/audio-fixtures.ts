/** Generated 16 kHz mono 16-bit PCM: silence, noise and speech-like sound, reproducibly. */

export const SAMPLE_RATE = 16_000;

/** A small seeded PRNG (mulberry32) so fixtures are the same on every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pcm(milliseconds: number, sample: (index: number) => number): Buffer {
  const count = Math.round((SAMPLE_RATE * milliseconds) / 1000);
  const buffer = Buffer.alloc(count * 2);
  for (let index = 0; index < count; index += 1) {
    buffer.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(sample(index) * 32767))), index * 2);
  }
  return buffer;
}

const amplitudeOf = (decibels: number): number => 10 ** (decibels / 20);

export function silence(milliseconds: number): Buffer {
  return Buffer.alloc(Math.round((SAMPLE_RATE * milliseconds) / 1000) * 2);
}

/** White noise at a given RMS level in dBFS. */
export function noise(milliseconds: number, decibels: number, seed = 1): Buffer {
  const random = seeded(seed);
  const amplitude = amplitudeOf(decibels) * Math.sqrt(3);
  return pcm(milliseconds, () => (random() * 2 - 1) * amplitude);
}

/** Syllables of a voiced sound (a 140 Hz buzz with harmonics), 180 ms on, 60 ms off. */
export function speechLike(milliseconds: number, decibels = -20): Buffer {
  const amplitude = amplitudeOf(decibels) * 1.6;
  return pcm(milliseconds, (index) => {
    const t = index / SAMPLE_RATE;
    const inSyllable = (t * 1000) % 240 < 180;
    if (!inSyllable) return 0;
    const envelope = Math.sin((Math.PI * ((t * 1000) % 240)) / 180);
    const wave = Math.sin(2 * Math.PI * 140 * t) + 0.5 * Math.sin(2 * Math.PI * 280 * t) + 0.25 * Math.sin(2 * Math.PI * 420 * t);
    return (amplitude * envelope * wave) / 1.75;
  });
}

/** Adds b onto a (same length or shorter). */
export function mix(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.from(a);
  for (let offset = 0; offset + 1 < Math.min(a.length, b.length); offset += 2) {
    out.writeInt16LE(Math.max(-32768, Math.min(32767, a.readInt16LE(offset) + b.readInt16LE(offset))), offset);
  }
  return out;
}

export function milliseconds(pcmBytes: number): number {
  return (pcmBytes / 2 / SAMPLE_RATE) * 1000;
}
