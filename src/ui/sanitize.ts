/**
 * Neutralises terminal control sequences in text we did not write (model answers, stored
 * history, server messages) before it reaches a terminal: cursor moves, screen clears,
 * title changes (OSC 0/2), hyperlinks (OSC 8), clipboard writes (OSC 52), and stray control
 * characters. Newlines and tabs stay. Raw text stays available through --json.
 */

// ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (ESC ]|P|X|^|_ ... BEL or ESC \,
// or cut short by the next ESC, as terminals do), or ESC + one character.
const COMPLETE = /\u001b(?:\[[0-?]*[ -/]*(?:[@-~]|(?=[^ -~]))|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\|(?=\u001b))|[ -/]*[0-OQ-WYZ\\`-~])|[\u009b][0-?]*[ -/]*[@-~]|[\u0090\u0098\u009d\u009e\u009f][^\u0007\u009c]*(?:\u0007|\u009c)/g;
// Lone control characters: C0 except tab, newline and carriage return; DEL; C1.
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f]/g;
// A carriage return not before a newline would let text overwrite what was printed.
const LONE_CARRIAGE_RETURN = /\r(?!\n)/g;
// A sequence that has begun at the end of the text and may finish in the next chunk.
const UNFINISHED = /(?:\u001b(?:\[[0-?]*[ -/]*|[\]PX^_][^\u0007\u001b]*\u001b?|[ -/]*)?|[\u009b][0-?]*[ -/]*|[\u0090\u0098\u009d\u009e\u009f][^\u0007\u009c]*)$/;

/** Sequences and controls out; carriage returns left for the caller to judge. */
function withoutSequences(text: string): string {
  return text.replace(COMPLETE, '').replace(/\u001b/g, '').replace(CONTROLS, '');
}

/** Also drops a sequence left unfinished at the very end (the stream version would hold it). */
export function sanitizeForTerminal(text: string): string {
  return withoutSequences(text.replace(UNFINISHED, '')).replace(LONE_CARRIAGE_RETURN, '');
}

/** The same, for a stream: a sequence split across chunks is held until it is complete. */
export class StreamSanitizer {
  private pending = '';
  private carriageReturn = false;

  push(chunk: string): string {
    // Complete sequences go first, so what is left at the end is text the next chunk may finish.
    const text = (this.pending + chunk).replace(COMPLETE, '');
    this.pending = UNFINISHED.exec(text)?.[0] ?? '';
    let clean = (this.carriageReturn ? '\r' : '') + withoutSequences(text.slice(0, text.length - this.pending.length));
    // A carriage return at the end is judged when the next character shows whether a newline follows.
    this.carriageReturn = clean.endsWith('\r');
    if (this.carriageReturn) clean = clean.slice(0, -1);
    return clean.replace(LONE_CARRIAGE_RETURN, '');
  }

  /** What is left at the end: an unfinished sequence is dropped, and so is a final carriage return. */
  flush(): string {
    const rest = sanitizeForTerminal(this.pending);
    this.pending = '';
    this.carriageReturn = false;
    return rest;
  }
}
