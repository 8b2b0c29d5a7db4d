import { describe, expect, it } from 'vitest';
import { PasteSplitter, pastedMessage } from '../../src/voice/bracketed-paste.js';
import { decodeKeys } from '../../src/voice/keyboard.js';

const START = '\u001b[200~';
const END = '\u001b[201~';

describe('PasteSplitter', () => {
  it('tells typed keys from a paste, in order', () => {
    expect(new PasteSplitter().push(`ab${START}x\r  y${END}c\r`)).toEqual([
      { kind: 'keys', text: 'ab' },
      { kind: 'paste', text: 'x\r  y' },
      { kind: 'keys', text: 'c\r' },
    ]);
  });

  it('holds a paste spread over many reads, and markers cut in two', () => {
    const input = `hi${START}line one\rline two${END}!`;
    for (let cut = 1; cut < input.length; cut += 1) {
      // Cut right after the start marker's ESC, the ESC is taken for the Esc key (see markerPrefixAtEnd's caller).
      if (cut === 3) continue;
      const splitter = new PasteSplitter();
      const pieces = [...splitter.push(input.slice(0, cut)), ...splitter.push(input.slice(cut))];
      const keys = pieces.filter((piece) => piece.kind === 'keys').map((piece) => piece.text).join('');
      expect(keys, `cut at ${cut}`).toBe('hi!');
      expect(pieces.filter((piece) => piece.kind === 'paste'), `cut at ${cut}`).toEqual([{ kind: 'paste', text: 'line one\rline two' }]);
    }
    const splitter = new PasteSplitter();
    const pieces = [START, ...`a long paste${END}`].flatMap((chunk) => splitter.push(chunk));
    expect(pieces.filter((piece) => piece.kind === 'paste')).toEqual([{ kind: 'paste', text: 'a long paste' }]);
  });

  it('passes a lone Esc at once (it is a key, not half a marker)', () => {
    expect(new PasteSplitter().push('\u001b')).toEqual([{ kind: 'keys', text: '\u001b' }]);
  });

  it('passes an arrow key through whole', () => {
    expect(new PasteSplitter().push('\u001b[A')).toEqual([{ kind: 'keys', text: '\u001b[A' }]);
  });
});

describe('pastedMessage', () => {
  it('keeps line breaks and indentation, drops blank lines around it, turns CR into LF', () => {
    expect(pastedMessage('\r\r  def f():\r      return 1\r\r  f()\r\r')).toBe('  def f():\n      return 1\n\n  f()');
  });
});

describe('decodeKeys', () => {
  it('reads an escape sequence as one key and a lone ESC as Esc', () => {
    expect(decodeKeys('\u001b[A')).toEqual(['other']);
    expect(decodeKeys('\u001b')).toEqual(['escape']);
    expect(decodeKeys('\r \u0003\u0004x')).toEqual(['enter', 'space', 'ctrl-c', 'ctrl-d', 'other']);
  });
});
