/**
 * A Player that plays nothing: it keeps the PCM the speech queue hands it, so the server can
 * send the spoken answer back as one WAV. The turn core speaks through it exactly as `talk`
 * speaks through a loudspeaker.
 */
import type { AudioSink, Player } from '../audio/player.js';
import { encodeWav, type PcmFormat } from '../audio/wav.js';

export class CollectingPlayer implements Player {
  readonly name = 'response';
  private format: PcmFormat | undefined;
  private readonly chunks: Buffer[] = [];

  open(format: PcmFormat): AudioSink {
    this.format ??= format;
    return {
      write: async (pcm) => void this.chunks.push(Buffer.from(pcm)),
      endClip: async () => {},
      finish: async () => {},
      stop: async () => {},
    };
  }

  /** Everything spoken, as one WAV; undefined when nothing was. */
  wav(): Buffer | undefined {
    return this.format ? encodeWav(Buffer.concat(this.chunks), this.format) : undefined;
  }
}
