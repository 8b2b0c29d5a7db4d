/**
 * Hands-free mode's detector (src/web/voice-activity.ts, the page's port) keeps talk's rules:
 * fed the same audio, it reports the same events at the same places as talk's detector
 * (src/audio/voice-activity.ts), and its utterances hold the same samples.
 */
import { describe, expect, it } from 'vitest';
import { VoiceActivityDetector as TalkDetector, type VoiceActivityEvent as TalkEvent } from '../../src/audio/voice-activity.js';
import { VoiceActivityDetector as PageDetector, type VoiceActivityEvent as PageEvent } from '../../src/web/voice-activity.js';
import { Downsampler, encodeWav } from '../../src/web/wav.js';
import { encodeWav as talkEncodeWav } from '../../src/audio/wav.js';
import { silence, speechLike } from '../support/audio-fixtures.js';

const RATE = 16_000;

/** Both detectors over the same PCM in the same odd-sized chunks; each event with the chunk it came in. */
function run(pcm: Buffer, chunkBytes: number): { talk: string[]; page: string[] } {
  const talk = new TalkDetector({ sampleRate: RATE });
  const page = new PageDetector({ sampleRate: RATE });
  const talkEvents: string[] = [];
  const pageEvents: string[] = [];
  for (let offset = 0, chunk = 0; offset < pcm.length; offset += chunkBytes, chunk += 1) {
    const piece = pcm.subarray(offset, offset + chunkBytes);
    // 'pause' and 'resume' feed talk's speculative start, which the page does not do: the rules
    // that decide where utterances begin and end are what must agree.
    const decided = talk.push(Buffer.from(piece)).filter((event) => event.type !== 'pause' && event.type !== 'resume');
    talkEvents.push(...decided.map((event) => describeTalk(event, chunk)));
    const samples = new Int16Array(piece.buffer.slice(piece.byteOffset, piece.byteOffset + piece.length));
    pageEvents.push(...page.push(samples).map((event) => describePage(event, chunk)));
  }
  return { talk: talkEvents, page: pageEvents };
}

function describeTalk(event: TalkEvent, chunk: number): string {
  if (event.type === 'utterance') return `${chunk} utterance ${event.speechMilliseconds} ms ${event.reason} ${event.pcm.length / 2} samples ${checksum(new Int16Array(event.pcm.buffer.slice(event.pcm.byteOffset, event.pcm.byteOffset + event.pcm.length)))}`;
  if (event.type === 'discarded') return `${chunk} discarded ${event.speechMilliseconds} ms`;
  return `${chunk} ${event.type}`;
}

function describePage(event: PageEvent, chunk: number): string {
  if (event.type === 'utterance') return `${chunk} utterance ${event.speechMilliseconds} ms ${event.reason} ${event.samples.length} samples ${checksum(event.samples)}`;
  if (event.type === 'discarded') return `${chunk} discarded ${event.speechMilliseconds} ms`;
  return `${chunk} ${event.type}`;
}

function checksum(samples: Int16Array): number {
  let sum = 0;
  for (const [index, sample] of samples.entries()) sum = (sum + sample * ((index % 97) + 1)) | 0;
  return sum;
}

describe("the page's voice-activity detector", () => {
  it("reports what talk's detector reports on speech, pauses, a click and long speech", () => {
    const pcm = Buffer.concat([
      silence(500), speechLike(1200), silence(300), speechLike(600), silence(900), // one utterance with a pause inside it
      speechLike(100), silence(900), // a click: discarded
      speechLike(31_000), silence(800), // cut at the maximum length, then the rest
    ]);
    for (const chunkBytes of [640, 1000, 4096, 6]) {
      const { talk, page } = run(pcm, chunkBytes);
      expect(talk.length).toBeGreaterThanOrEqual(5);
      expect(page).toEqual(talk);
    }
  });
});

describe("the page's audio helpers", () => {
  it('encodes the same WAV as talk for the same samples', () => {
    const pcm = speechLike(300);
    const samples = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
    expect(Buffer.from(encodeWav(samples, RATE))).toEqual(talkEncodeWav(pcm));
  });

  it('downsamples 48 kHz to 16 kHz across chunk boundaries without losing or inventing samples', () => {
    const downsampler = new Downsampler(48_000, 16_000);
    const input = Float32Array.from({ length: 48_000 }, (_, index) => Math.sin(index / 20) * 0.5);
    let total = 0;
    for (let offset = 0; offset < input.length; offset += 1_000) total += downsampler.push(input.subarray(offset, offset + 1_000)).length;
    expect(total).toBe(16_000);
  });
});
