import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SEQUENCE_LENGTH, StreamSanitizer, sanitizeForTerminal } from '../../src/ui/sanitize.js';

const ESC = '\u001b';
const hostile = [
  `${ESC}[2J${ESC}[H`, // clear screen, cursor home
  `${ESC}]0;pwned${'\u0007'}`, // window title
  `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;${ESC}\\`, // hyperlink
  `${ESC}]52;c;ZWNobyBwd25lZA==${'\u0007'}`, // clipboard write
  `${ESC}[31mred${ESC}[0m`,
  `\u009b2J`, // 8-bit CSI
  `\u009d0;title\u009c`, // 8-bit OSC, 8-bit ST
  `${ESC}P1$r${ESC}\\`, // DCS
  `${ESC}_app${ESC}\\`, // APC
  `${ESC}(B`, // charset designation
  'over\rwrite',
  `bell\u0007 back\u0008space`,
  'admin\u202e\u2066 // check later\u2069\u2066', // Trojan Source: text that reads differently from what it is
];

/** Anything a terminal would act on: C0 but tab and newline, DEL, C1; a CR only before a newline; bidi overrides. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const noControls = (text: string): boolean => !CONTROL.test(text.replace(/\r\n/g, '\n'));
/** Text a person would type: any Unicode, no control characters. */
const printable = fc.string({ unit: 'grapheme' }).filter((text) => !/[\u0000-\u001f\u007f-\u009f]/.test(text));

/** Every way a string sequence or CSI can be introduced. */
const STRING_INTRODUCERS = [`${ESC}]`, `${ESC}P`, `${ESC}X`, `${ESC}^`, `${ESC}_`, '\u009d', '\u0090', '\u0098', '\u009e', '\u009f'];
const CSI_INTRODUCERS = [`${ESC}[`, '\u009b'];

describe('sanitizeForTerminal', () => {
  it.each(hostile)('neutralises %j', (text) => {
    const clean = sanitizeForTerminal(`before ${text} after`);
    expect(noControls(clean)).toBe(true);
    expect(clean.startsWith('before ')).toBe(true);
    expect(clean.endsWith(' after')).toBe(true);
  });

  it('keeps the visible words of links and colours, and keeps newlines and tabs', () => {
    expect(sanitizeForTerminal(`${ESC}]8;;https://x${ESC}\\click${ESC}]8;;${ESC}\\ and ${ESC}[1mbold${ESC}[0m`)).toBe('click and bold');
    expect(sanitizeForTerminal('a\tb\nc\r\nd')).toBe('a\tb\nc\r\nd');
  });

  it('leaves ordinary text, including other scripts and emoji, exactly as it was', () => {
    fc.assert(fc.property(printable, (text) => sanitizeForTerminal(text) === text));
  });

  it('never lets a control character through, whatever the input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => noControls(sanitizeForTerminal(text))));
  });

  it.each(STRING_INTRODUCERS)('keeps the text after an unterminated %j (to the end, past a newline, past the length bound)', (introducer) => {
    fc.assert(
      fc.property(printable, printable, printable, (before, first, second) => {
        expect(sanitizeForTerminal(`${before}${introducer}${first}`)).toBe(before + first);
        expect(sanitizeForTerminal(`${before}${introducer}${first}\n${second}`)).toBe(`${before}${first}\n${second}`);
      }),
    );
    const long = 'x'.repeat(MAX_SEQUENCE_LENGTH + 1);
    expect(sanitizeForTerminal(`${introducer}${long}\u0007after`)).toBe(`${long}after`);
  });

  it.each(CSI_INTRODUCERS)('keeps the text after %j with no final byte', (introducer) => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9;?]*$/), printable, (parameters, text) => {
        expect(sanitizeForTerminal(`${introducer}${parameters}\n${text}`)).toBe(`${parameters}\n${text}`);
        expect(sanitizeForTerminal(`${introducer}${parameters}`)).toBe(parameters);
      }),
    );
  });

  it('removes a complete sequence whatever its printable content', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STRING_INTRODUCERS), printable, fc.constantFrom('\u0007', `${ESC}\\`, '\u009c'), (introducer, content, terminator) => {
        fc.pre(content.length <= MAX_SEQUENCE_LENGTH);
        expect(sanitizeForTerminal(`a${introducer}${content}${terminator}b`)).toBe('ab');
      }),
    );
  });
});

function streamed(text: string, sizes: number[]): string {
  const stream = new StreamSanitizer();
  let out = '';
  for (let offset = 0, turn = 0; offset < text.length; turn += 1) {
    const size = sizes[turn % sizes.length]!;
    out += stream.push(text.slice(offset, offset + size));
    offset += size;
  }
  return out + stream.flush();
}

const sizes = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 });
const pieces = fc.array(
  fc.oneof(
    fc.constantFrom('plain ', 'words.\n', ...hostile, ...STRING_INTRODUCERS, ...CSI_INTRODUCERS, ESC, `${ESC}\\`, '\u0007', '\u009c', '\r', '\n', 'é', '😀', '12;3'),
    fc.string({ unit: 'binary', maxLength: 5 }),
  ),
  { maxLength: 30 },
);

describe('StreamSanitizer', () => {
  it('gives the same result as the whole text, for any text split into any chunks', () => {
    fc.assert(
      fc.property(pieces, sizes, (parts, chunkSizes) => {
        const text = parts.join('');
        expect(streamed(text, chunkSizes)).toBe(sanitizeForTerminal(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('lets no control character through, even from broken sequences split anywhere', () => {
    fc.assert(fc.property(pieces, sizes, (parts, chunkSizes) => noControls(streamed(parts.join(''), chunkSizes))), { numRuns: 1000 });
  });

  it('gives the same result around the length bound', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STRING_INTRODUCERS, ...CSI_INTRODUCERS), fc.integer({ min: MAX_SEQUENCE_LENGTH - 2, max: MAX_SEQUENCE_LENGTH + 2 }), fc.integer({ min: 1, max: 700 }), (introducer, length, chunk) => {
        const text = `a${introducer}${'1'.repeat(length)}\u0007z`;
        expect(streamed(text, [chunk])).toBe(sanitizeForTerminal(text));
      }),
      { numRuns: 100 },
    );
  });
});

describe('4 MB after a stray ESC ]', () => {
  const body = 'visible '.repeat(500_000);
  const text = `start ${ESC}]${body}`;

  it('shows all of it, as one string', () => {
    const clean = sanitizeForTerminal(text);
    expect(clean.length).toBe(6 + body.length);
    expect(clean.endsWith('visible ')).toBe(true);
  });

  it('shows all of it, streamed in 1 KB chunks', () => {
    const stream = new StreamSanitizer();
    let length = 0;
    let tail = '';
    for (let offset = 0; offset < text.length; offset += 1024) {
      const out = stream.push(text.slice(offset, offset + 1024));
      length += out.length;
      if (out !== '') tail = out;
    }
    length += stream.flush().length;
    expect(length).toBe(6 + body.length);
    expect(tail.endsWith('visible ')).toBe(true);
  });
});
