/**
 * Hands-free mode: the open microphone through the voice-activity detector (talk's rules);
 * each complete utterance becomes a spoken turn, and speech starting while an answer plays
 * interrupts it (barge-in), which is safe because the browser cancels the answer's echo.
 */
import { CAPTURE_RATE, type Microphone } from './microphone.js';
import { VoiceActivityDetector } from './voice-activity.js';

export interface HandsFreeEvents {
  utterance(samples: Int16Array): void;
  speechStart(): void;
}

export class HandsFree {
  private detector: VoiceActivityDetector | undefined;

  constructor(private readonly microphone: Microphone, private readonly events: HandsFreeEvents) {}

  async start(): Promise<void> {
    await this.microphone.start();
    // A fresh detector: it calibrates to the room again.
    this.detector = new VoiceActivityDetector({ sampleRate: CAPTURE_RATE });
  }

  stop(): void {
    this.detector = undefined;
  }

  push(samples: Int16Array): void {
    for (const event of this.detector?.push(samples) ?? []) {
      if (event.type === 'speech-start') this.events.speechStart();
      else if (event.type === 'utterance') this.events.utterance(event.samples);
    }
  }
}
