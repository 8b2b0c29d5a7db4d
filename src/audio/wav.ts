/**
 * WAV (RIFF, PCM) headers. We record raw PCM and write our own header per utterance,
 * because SoX's streamed WAV header carries bogus lengths. Parsing finds the data chunk
 * of a WAV that arrives as a stream (whose sizes may be 0 or 0xFFFFFFFF).
 */

export interface PcmFormat {
  sampleRate: number;
  channels: number;
  /** Bits per sample; we only deal in 16-bit signed little-endian. */
  bitsPerSample: number;
}

export const RECORDING_FORMAT: PcmFormat = { sampleRate: 16_000, channels: 1, bitsPerSample: 16 };

export function wavHeader(format: PcmFormat, dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  const blockAlign = (format.channels * format.bitsPerSample) / 8;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(format.channels, 22);
  header.writeUInt32LE(format.sampleRate, 24);
  header.writeUInt32LE(format.sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(format.bitsPerSample, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

export function encodeWav(pcm: Uint8Array, format: PcmFormat = RECORDING_FORMAT): Buffer {
  return Buffer.concat([wavHeader(format, pcm.byteLength), pcm]);
}

export interface ParsedWavHeader {
  format: PcmFormat;
  /** Offset of the first sample byte. */
  dataOffset: number;
}

/**
 * Reads the header from the start of a WAV. Returns undefined when more bytes are needed;
 * throws when the bytes are not a PCM WAV.
 */
export function parseWavHeader(bytes: Uint8Array): ParsedWavHeader | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12) return undefined;
  if (buffer.toString('ascii', 0, 4) !== 'RIFF' || buffer.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a WAV file (no RIFF/WAVE header)');
  }
  let offset = 12;
  let format: PcmFormat | undefined;
  while (offset + 8 <= buffer.length) {
    const id = buffer.toString('ascii', offset, offset + 4);
    const size = buffer.readUInt32LE(offset + 4);
    if (id === 'data') {
      if (!format) throw new Error('WAV data chunk before its fmt chunk');
      return { format, dataOffset: offset + 8 };
    }
    if (offset + 8 + size > buffer.length) return undefined;
    if (id === 'fmt ') {
      const encoding = buffer.readUInt16LE(offset + 8);
      // 1 = PCM; 0xFFFE = extensible, which for 16-bit mono/stereo is PCM too.
      if (encoding !== 1 && encoding !== 0xfffe) throw new Error(`unsupported WAV encoding ${encoding} (only PCM)`);
      format = { channels: buffer.readUInt16LE(offset + 10), sampleRate: buffer.readUInt32LE(offset + 12), bitsPerSample: buffer.readUInt16LE(offset + 22) };
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/** Seconds of audio in `bytes` of PCM. */
export function pcmSeconds(bytes: number, format: PcmFormat = RECORDING_FORMAT): number {
  return bytes / (format.sampleRate * format.channels * (format.bitsPerSample / 8));
}
