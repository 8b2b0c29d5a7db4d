/** Single keys from a terminal in raw mode: Space/Enter (Enter/Esc when typing) interrupt, Ctrl-C/Ctrl-D end. */
export type Key = 'space' | 'enter' | 'ctrl-c' | 'ctrl-d' | 'escape' | 'other';

export interface KeyInput {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export class Keyboard {
  private readonly listeners = new Set<(key: Key) => void>();
  private started = false;
  private readonly onData = (chunk: Buffer | string): void => {
    for (const key of decodeKeys(typeof chunk === 'string' ? chunk : chunk.toString('utf8'))) {
      for (const listener of [...this.listeners]) listener(key);
    }
  };

  constructor(private readonly input: KeyInput) {}

  /** Raw mode is only possible on a terminal. */
  get available(): boolean {
    return this.input.isTTY === true && typeof this.input.setRawMode === 'function';
  }

  start(): void {
    if (this.started || !this.available) return;
    this.started = true;
    this.input.setRawMode!(true);
    this.input.on('data', this.onData);
    this.input.resume();
  }

  onKey(listener: (key: Key) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.input.off('data', this.onData);
    this.input.setRawMode!(false);
    this.input.pause();
  }
}

// An escape sequence (an arrow key, F1, Insert...) is one key, not Esc followed by letters.
const ONE_KEY = /\u001b(?:\[[0-?]*[ -/]*[@-~]|O[\s\S])|[\s\S]/gu;

export function decodeKeys(text: string): Key[] {
  const keys: Key[] = [];
  for (const [character] of text.matchAll(ONE_KEY)) {
    if (character === ' ') keys.push('space');
    else if (character === '\r' || character === '\n') keys.push('enter');
    else if (character === '\u0003') keys.push('ctrl-c');
    else if (character === '\u0004') keys.push('ctrl-d');
    else if (character === '\u001b') keys.push('escape');
    else keys.push('other');
  }
  return keys;
}
