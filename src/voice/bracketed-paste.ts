/**
 * Bracketed paste: once a program writes ENABLE, the terminal wraps pasted text in
 * ESC[200~ ... ESC[201~, so a paste of several lines can be told apart from typed lines
 * (each Enter would otherwise send one). DISABLE must be written on every way out, or the
 * shell the person returns to receives the markers around every later paste.
 */
export const ENABLE_BRACKETED_PASTE = '\u001b[?2004h';
export const DISABLE_BRACKETED_PASTE = '\u001b[?2004l';
const PASTE_START = '\u001b[200~';
const PASTE_END = '\u001b[201~';

export type InputPiece = { kind: 'keys'; text: string } | { kind: 'paste'; text: string };

/**
 * Splits terminal input into typed keys and whole pastes. Input arrives in chunks of any
 * size: a marker cut in two, or a long paste spread over many reads, is held until complete.
 */
export class PasteSplitter {
  private pending = '';
  private paste: string | undefined;

  push(chunk: string): InputPiece[] {
    const pieces: InputPiece[] = [];
    let text = this.pending + chunk;
    this.pending = '';
    for (;;) {
      if (this.paste === undefined) {
        const start = text.indexOf(PASTE_START);
        if (start === -1) {
          // A lone ESC at the end is the Esc key, not half a marker: it must act at once. (Terminals write
          // the marker and the paste together, so a read does not end right after its ESC in practice.)
          const held = markerPrefixAtEnd(text, PASTE_START, 2);
          if (text.length > held) pieces.push({ kind: 'keys', text: text.slice(0, text.length - held) });
          this.pending = text.slice(text.length - held);
          return pieces;
        }
        if (start > 0) pieces.push({ kind: 'keys', text: text.slice(0, start) });
        this.paste = '';
        text = text.slice(start + PASTE_START.length);
      } else {
        const end = text.indexOf(PASTE_END);
        if (end === -1) {
          const held = markerPrefixAtEnd(text, PASTE_END, 1);
          this.paste += text.slice(0, text.length - held);
          this.pending = text.slice(text.length - held);
          return pieces;
        }
        pieces.push({ kind: 'paste', text: this.paste + text.slice(0, end) });
        this.paste = undefined;
        text = text.slice(end + PASTE_END.length);
      }
    }
  }
}

/** How many characters (at least `shortest`) at the end of `text` could be the start of `marker`. */
function markerPrefixAtEnd(text: string, marker: string, shortest: number): number {
  for (let length = Math.min(marker.length - 1, text.length); length >= shortest; length -= 1) {
    if (text.endsWith(marker.slice(0, length))) return length;
  }
  return 0;
}

/**
 * A paste as one message: terminals send pasted line breaks as CR; blank lines around it go,
 * indentation and the lines inside stay.
 */
export function pastedMessage(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .replace(/\s+$/, '');
}
