/** An output stream that keeps what is written to it, for a Terminal under test (a terminal or a pipe, as told). */
import type { OutputStream } from '../../src/ui/terminal.js';

export class CapturedOutput implements OutputStream {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
