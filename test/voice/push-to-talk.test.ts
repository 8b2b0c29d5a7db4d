/** --push-to-talk: Enter starts recording, Enter stops it; the recording's end or the signal ends the wait. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/async/channel.js';
import type { Recorder } from '../../src/audio/recorder.js';
import { Terminal } from '../../src/ui/terminal.js';
import { Keyboard } from '../../src/voice/keyboard.js';
import { PushToTalkListener } from '../../src/voice/listeners.js';
import { StatusLine, type TalkState } from '../../src/voice/status-line.js';
import { SAMPLE_RATE, speechLike } from '../support/audio-fixtures.js';
import { fixturesFor, speak, turnFixtures } from '../support/turn-fixtures.js';
import { loadSpeechClassifier } from '../../src/audio/speech-detectors/load-classifier.js';
import { recordingHoldsSpeech } from '../../src/audio/speech-detectors/recording-check.js';

const spokenFixtures = fixturesFor('push-to-talk');

/** A recorder (live unless told) the test feeds chunk by chunk, and ends when it likes. */
class FedRecorder implements Recorder {
  readonly chunks = new Channel<Buffer>();
  constructor(readonly live = true) {}
  private onTaken: (() => void) | undefined;
  async *record({ signal }: { signal: AbortSignal }): AsyncIterable<Buffer> {
    for (;;) {
      const next = await this.chunks.read(signal);
      if (next.done) return;
      yield next.value;
      // The listener asks for the next chunk only once it has handled this one.
      this.onTaken?.();
    }
  }
  /** Resolves when the listener has handled the next chunk fed. */
  taken(): Promise<void> {
    return new Promise((resolve) => (this.onTaken = resolve));
  }
}

/** A status line that tells the test when the listener reaches a state. */
class ObservedStatus extends StatusLine {
  readonly states: TalkState[] = [];
  private readonly reached = new Map<TalkState, () => void>();
  constructor() {
    super(new Terminal({ stdout: { write: () => true }, stderr: { write: () => true, isTTY: false }, env: {} }));
  }
  override set(state: TalkState): void {
    super.set(state);
    this.states.push(state);
    this.reached.get(state)?.();
  }
  /** Resolves the next time the state is set. */
  next(state: TalkState): Promise<void> {
    return new Promise((resolve) => this.reached.set(state, resolve));
  }
}

function setUp({ live = true, holdsSpeech }: { live?: boolean; holdsSpeech?: (pcm: Buffer) => Promise<boolean> } = {}): { keys: EventEmitter; keyboard: Keyboard; recorder: FedRecorder; status: ObservedStatus; input: PushToTalkListener } {
  const keys = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: () => {}, resume: () => {}, pause: () => {} });
  const keyboard = new Keyboard(keys);
  keyboard.start();
  const recorder = new FedRecorder(live);
  const status = new ObservedStatus();
  return { keys, keyboard, recorder, status, input: new PushToTalkListener(recorder, keyboard, status, holdsSpeech) };
}

describe('PushToTalkListener', () => {
  it('what is recorded between two Enters is the utterance; a double Enter starts recording without stopping it', async () => {
    const { keys, keyboard, recorder, status, input } = setUp();
    const recording = status.next('recording');
    const heard = input.listen(new AbortController().signal);
    keys.emit('data', '\r\r');
    await recording;
    const taken = recorder.taken();
    recorder.chunks.push(speechLike(800));
    await taken;
    keys.emit('data', '\r');
    const utterance = await heard;
    expect(utterance?.kind).toBe('voice');
    expect(utterance?.kind === 'voice' && utterance.pcm.length).toBe(speechLike(800).length);
    recorder.chunks.close();
    await input.close();
    keyboard.stop();
  });

  it.skipIf(!spokenFixtures)("with talk's detector (Silero): a recording of a fan switched on is not a turn; the next, of words, is", async () => {
    const { classifier } = await loadSpeechClassifier({ choice: 'silero', sampleRate: SAMPLE_RATE });
    const { keys, keyboard, recorder, status, input } = setUp({ holdsSpeech: (pcm) => recordingHoldsSpeech(pcm, classifier, SAMPLE_RATE) });
    const record = async (pcm: Buffer): Promise<void> => {
      const recording = status.next('recording');
      keys.emit('data', '\r');
      await recording;
      const taken = recorder.taken();
      recorder.chunks.push(pcm);
      await taken;
      keys.emit('data', '\r');
    };
    const heard = input.listen(new AbortController().signal);
    const fan = turnFixtures().find((fixture) => fixture.name.startsWith('fan'))!.pcm;
    const listeningAgain = status.next('listening');
    await record(fan);
    // Refused: it listens again for the next Enter, and the listen has not resolved.
    await listeningAgain;
    const words = speak('Turn the lights off.');
    await record(words);
    const utterance = await heard;
    expect(utterance?.kind === 'voice' && utterance.pcm.length).toBe(words.length);
    recorder.chunks.close();
    await input.close();
    keyboard.stop();
  });

  // A live microphone that ends so is an error instead (microphone-listener.test.ts).
  it('a file input that ends while it waits for Enter ends the session (listen resolves undefined)', async () => {
    const { keyboard, recorder, status, input } = setUp({ live: false });
    const listening = status.next('listening');
    const heard = input.listen(new AbortController().signal);
    await listening;
    recorder.chunks.close();
    expect(await heard).toBeUndefined();
    await input.close();
    keyboard.stop();
  });

  it('the signal while recording resolves undefined, and Enter pressed after it is not kept for the next listen', async () => {
    const { keys, keyboard, recorder, status, input } = setUp();
    const ending = new AbortController();
    const recording = status.next('recording');
    const heard = input.listen(ending.signal);
    keys.emit('data', '\r');
    await recording;
    ending.abort();
    keys.emit('data', '\r');
    expect(await heard).toBeUndefined();
    // A fresh listen waits for a new Enter: it does not start recording on the old one.
    status.states.length = 0;
    const again = new AbortController();
    const listening = status.next('listening');
    const next = input.listen(again.signal);
    await listening;
    again.abort();
    expect(await next).toBeUndefined();
    expect(status.states).toEqual(['listening']);
    recorder.chunks.close();
    await input.close();
    keyboard.stop();
  });
});
