/**
 * Neutralises terminal control sequences in text we did not write (model answers, stored
 * history, server messages) before it reaches a terminal: cursor moves, screen clears,
 * title changes (OSC 0/2), hyperlinks (OSC 8), clipboard writes (OSC 52), and stray control
 * characters. Newlines and tabs stay; a carriage return stays only before a newline (a lone
 * one would let text overwrite what was printed). Raw text stays available through --json.
 *
 * One small state machine reads each character once, so the work is linear in the text,
 * whatever it holds, and the stream version keeps at most MAX_SEQUENCE_LENGTH characters.
 *
 * What counts as a sequence (ECMA-48, 7-bit and 8-bit forms):
 * - CSI: ESC [ or U+009B, parameter and intermediate bytes (0x20-0x3F), one final byte (0x40-0x7E).
 * - Strings: OSC (ESC ] or U+009D), DCS (ESC P, U+0090), SOS (ESC X, U+0098), PM (ESC ^, U+009E),
 *   APC (ESC _, U+009F), ended by BEL, ST (ESC \) or U+009C.
 * - Other escapes: ESC, intermediate bytes (0x20-0x2F), one final byte (0x30-0x7E).
 * A complete sequence is removed. A sequence that is cut short is not a sequence: its
 * introducer is dropped and what followed it is shown as text. Cut short means: a character
 * its grammar does not allow arrives first (a newline, any other control character, another
 * ESC that does not make ST), it grows past MAX_SEQUENCE_LENGTH characters, or the text ends.
 * So a stray `ESC ]` hides nothing, and a hostile sequence either vanishes or shows as
 * harmless printable characters. Lone control characters (C0 but tab and newline, DEL, C1)
 * and bidirectional overrides, embeddings and isolates are dropped.
 */

/** The longest sequence we remove; anything longer is shown as text (UTF-16 code units). */
export const MAX_SEQUENCE_LENGTH = 4096;

const ESC = 0x1b;
const BEL = 0x07;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
const C1_STRING_INTRODUCERS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
const STRING_INTRODUCERS = new Set([...'P]X^_'].map((character) => character.charCodeAt(0)));

// Characters that need a decision in ordinary text: every control but tab and newline, DEL, C1.
const SPECIAL_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// Characters that end the plain run inside a string sequence: every control, DEL, C1.
const SPECIAL_IN_STRING = /[\u0000-\u001f\u007f-\u009f]/g;

// Bidirectional embeddings, overrides and isolates: they make printed text read differently
// from what it is ("Trojan Source"). Dropped like control characters; the marks LRM/RLM stay.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

type State =
  | 'text'
  | 'carriage-return' // a CR, kept only if a newline follows
  | 'escape' // after ESC, with any intermediate bytes in `held`
  | 'control-sequence' // CSI, parameters and intermediates in `held`
  | 'string' // OSC/DCS/SOS/PM/APC, content in `held`
  | 'string-escape'; // an ESC inside a string: ST if a backslash follows

/** Streaming: push chunks, then flush once at the end. Output never holds a control character but tab, newline, or CR before newline. */
export class StreamSanitizer {
  private state: State = 'text';
  private held = '';
  private output: string[] = [];

  push(chunk: string): string {
    let index = 0;
    while (index < chunk.length) index = this.step(chunk, index);
    return this.take();
  }

  /** What is left at the end: a sequence cut short by the end shows its text; a final CR is dropped. */
  flush(): string {
    if (this.state !== 'text' && this.state !== 'carriage-return') this.output.push(this.held);
    this.state = 'text';
    this.held = '';
    return this.take();
  }

  private take(): string {
    const text = this.output.join('').replace(BIDI_CONTROLS, '');
    this.output = [];
    return text;
  }

  /** Handles the text from `index` on in the current state; returns the first index not yet handled. */
  private step(text: string, index: number): number {
    const code = text.charCodeAt(index);
    switch (this.state) {
      case 'text':
        return this.plainText(text, index);
      case 'carriage-return':
        this.state = 'text';
        if (code === NEWLINE) {
          this.output.push('\r\n');
          return index + 1;
        }
        return index; // a lone CR is dropped; the character is read again as text
      case 'escape':
        if (this.held === '' && code === 0x5b) return this.enter('control-sequence', index);
        if (this.held === '' && STRING_INTRODUCERS.has(code)) return this.enter('string', index);
        if (code >= 0x20 && code <= 0x2f) return this.hold(text[index]!, index);
        if (code >= 0x30 && code <= 0x7e) return this.complete(index);
        return this.cutShort(index);
      case 'control-sequence':
        if (code >= 0x20 && code <= 0x3f) return this.hold(text[index]!, index);
        if (code >= 0x40 && code <= 0x7e) return this.complete(index);
        return this.cutShort(index);
      case 'string':
        if (code === BEL || code === C1_ST) return this.complete(index);
        if (code === ESC) {
          this.state = 'string-escape';
          return index + 1;
        }
        if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return this.cutShort(index);
        return this.stringContent(text, index);
      case 'string-escape':
        if (code === 0x5c) return this.complete(index);
        // Not ST: the string was cut short, and this ESC starts whatever comes next.
        this.output.push(this.held);
        this.held = '';
        this.state = 'escape';
        return index;
    }
  }

  /** Copies the run of ordinary text up to the next control character, and starts on that character. */
  private plainText(text: string, index: number): number {
    SPECIAL_IN_TEXT.lastIndex = index;
    const found = SPECIAL_IN_TEXT.exec(text);
    const end = found ? found.index : text.length;
    if (end > index) this.output.push(text.slice(index, end));
    if (!found) return end;
    const code = text.charCodeAt(end);
    if (code === CARRIAGE_RETURN) this.state = 'carriage-return';
    else if (code === ESC) this.state = 'escape';
    else if (code === C1_CSI) this.state = 'control-sequence';
    else if (C1_STRING_INTRODUCERS.has(code)) this.state = 'string';
    // Any other control character is dropped.
    return end + 1;
  }

  /** Holds the printable run inside a string sequence, up to the length bound. */
  private stringContent(text: string, index: number): number {
    SPECIAL_IN_STRING.lastIndex = index;
    const found = SPECIAL_IN_STRING.exec(text);
    const room = MAX_SEQUENCE_LENGTH - this.held.length;
    const end = Math.min(found ? found.index : text.length, index + room + 1);
    this.held += text.slice(index, end);
    if (this.held.length > MAX_SEQUENCE_LENGTH) return this.cutShort(end);
    return end;
  }

  private enter(state: 'control-sequence' | 'string', index: number): number {
    this.state = state;
    return index + 1;
  }

  private hold(character: string, index: number): number {
    this.held += character;
    return this.held.length > MAX_SEQUENCE_LENGTH ? this.cutShort(index + 1) : index + 1;
  }

  /** A complete sequence: removed. */
  private complete(index: number): number {
    this.state = 'text';
    this.held = '';
    return index + 1;
  }

  /** Not a sequence after all: the introducer is dropped, what it held is shown, and reading goes on as text from `index`. */
  private cutShort(index: number): number {
    this.output.push(this.held);
    this.held = '';
    this.state = 'text';
    return index;
  }
}

/** The whole text at once: the same as streaming it in any chunks. */
export function sanitizeForTerminal(text: string): string {
  const sanitizer = new StreamSanitizer();
  return sanitizer.push(text) + sanitizer.flush();
}
