/** The microphone listeners when their recording ends: a file input runs out, a device fails. */
import { describe, expect, it } from 'vitest';
import type { Recorder } from '../../src/audio/recorder.js';
import { Terminal } from '../../src/ui/terminal.js';
import { EventEmitter } from 'node:events';
import { Keyboard } from '../../src/voice/keyboard.js';
import { MicrophoneListener, PushToTalkListener } from '../../src/voice/listeners.js';
import { StatusLine } from '../../src/voice/status-line.js';
import { silence, speechLike } from '../support/audio-fixtures.js';

/** Yields the PCM in 20 ms chunks, then ends (or throws `failure`). */
class ScriptedRecorder implements Recorder {
  constructor(
    private readonly pcm: Buffer,
    readonly live: boolean,
    private readonly failure?: Error,
  ) {}
  async *record({ signal }: { signal: AbortSignal }): AsyncIterable<Buffer> {
    for (let offset = 0; offset < this.pcm.length && !signal.aborted; offset += 640) yield this.pcm.subarray(offset, offset + 640);
    if (this.failure) throw this.failure;
  }
}

const quietTerminal = (): Terminal => new Terminal({ stdout: { write: () => true }, stderr: { write: () => true, isTTY: false }, env: {} });

function listener(recorder: Recorder): MicrophoneListener {
  return new MicrophoneListener({ recorder, status: new StatusLine(quietTerminal()), detector: { trailingSilenceMilliseconds: 500 } });
}

describe('MicrophoneListener', () => {
  it('a file input: every utterance is heard in order (also while the assistant answers), the last one ends with the file, then the session ends', async () => {
    // The second utterance runs to the end of the file, with no trailing silence.
    const file = Buffer.concat([silence(600), speechLike(800), silence(900), speechLike(700)]);
    const input = listener(new ScriptedRecorder(file, false));
    const signal = new AbortController().signal;
    const first = await input.listen(signal);
    input.pause(); // the assistant answers: a file cannot hear it, so nothing of the file is skipped
    expect(first?.kind).toBe('voice');
    input.resume();
    const second = await input.listen(signal);
    expect(second?.kind).toBe('voice');
    // Before the fix this waited for ever: Node then exits 13 with no message.
    expect(await input.listen(signal)).toBeUndefined();
    await input.close();
  });

  it('a pause inside an utterance is announced (speculative start), speech after it voids it, and the utterance says which pause it ended in', async () => {
    // Speech, a 400 ms pause (past the 250 ms pause window), speech, then silence that ends the turn.
    const file = Buffer.concat([silence(600), speechLike(800), silence(400), speechLike(600), silence(700)]);
    const events: string[] = [];
    const input = new MicrophoneListener({
      recorder: new ScriptedRecorder(file, false),
      status: new StatusLine(quietTerminal()),
      detector: { trailingSilenceMilliseconds: 500, pauseMilliseconds: 250 },
      onPause: (pause) => events.push(`pause ${pause.id} ${pause.pcm.length > 0}`),
      onResume: () => events.push('resume'),
    });
    const heard = await input.listen(new AbortController().signal);
    expect(events).toEqual(['pause 1 true', 'resume', 'pause 2 true']);
    expect(heard?.kind === 'voice' ? heard.pauseId : 'not voice').toBe(2);
    await input.close();
  });

  it('the words can end the turn sooner: a shorter window for the open pause commits the utterance at once; a stale pause id is ignored', async () => {
    const signal = new AbortController().signal;
    // Endless silence after the speech: only the shorter window can end this turn before the recording does.
    const file = Buffer.concat([silence(600), speechLike(800), silence(2000)]);
    let input!: MicrophoneListener;
    input = new MicrophoneListener({
      recorder: new ScriptedRecorder(file, true),
      status: new StatusLine(quietTerminal()),
      detector: { trailingSilenceMilliseconds: 10_000, pauseMilliseconds: 250 },
      onPause: (pause) => {
        input.setTrailingSilence(300, pause.id + 1); // not the open pause: ignored
        input.setTrailingSilence(250, pause.id);
      },
    });
    const heard = await input.listen(signal);
    expect(heard?.kind === 'voice' ? heard.pauseId : 'not voice').toBe(1);
    await input.close();
  });

  it('a device that fails: listen rejects with its error, also when it fails while listen waits', async () => {
    const input = listener(new ScriptedRecorder(silence(400), true, new Error('Recording stopped: the default input ended the recording by itself.')));
    await expect(input.listen(new AbortController().signal)).rejects.toThrow(/ended the recording by itself/);
    await input.close();
  });

  it('a live device whose recording ends without an error: listen rejects with a clear message (it used to end the session in silence)', async () => {
    const input = listener(new ScriptedRecorder(silence(400), true));
    await expect(input.listen(new AbortController().signal)).rejects.toThrow(/^The microphone stopped: its recording ended by itself\. Check the input device \(--device\)\.$/);
    await input.close();
  });

  it('Ctrl-C while listening resolves undefined', async () => {
    const ending = new AbortController();
    const input = listener(new ScriptedRecorder(silence(60_000), true));
    const listening = input.listen(ending.signal);
    ending.abort();
    expect(await listening).toBeUndefined();
    await input.close();
  });
});

describe('PushToTalkListener', () => {
  it('a device that fails while it waits for Enter: listen rejects with the error instead of waiting for ever', async () => {
    const keys = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: () => {}, resume: () => {}, pause: () => {} });
    const keyboard = new Keyboard(keys);
    keyboard.start();
    const input = new PushToTalkListener(new ScriptedRecorder(silence(400), true, new Error('Recording stopped: the default input ended the recording by itself.')), keyboard, new StatusLine(quietTerminal()));
    await expect(input.listen(new AbortController().signal)).rejects.toThrow(/ended the recording by itself/);
    await input.close();
    keyboard.stop();
  });

  it('a live device whose recording ends without an error while it waits for Enter: listen rejects', async () => {
    const keys = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: () => {}, resume: () => {}, pause: () => {} });
    const keyboard = new Keyboard(keys);
    keyboard.start();
    const input = new PushToTalkListener(new ScriptedRecorder(silence(400), true), keyboard, new StatusLine(quietTerminal()));
    await expect(input.listen(new AbortController().signal)).rejects.toThrow(/^The microphone stopped: its recording ended by itself\./);
    await input.close();
    keyboard.stop();
  });
});
