import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamSanitizer, sanitizeForTerminal } from '../../src/ui/sanitize.js';

const ESC = '\u001b';
const hostile = [
  `${ESC}[2J${ESC}[H`, // clear screen, cursor home
  `${ESC}]0;pwned${'\u0007'}`, // window title
  `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;${ESC}\\`, // hyperlink
  `${ESC}]52;c;ZWNobyBwd25lZA==${'\u0007'}`, // clipboard write
  `${ESC}[31mred${ESC}[0m`,
  `\u009b2J`, // 8-bit CSI
  `${ESC}P1$r${ESC}\\`, // DCS
  'over\rwrite',
  `bell\u0007 back\u0008space`,
];

describe('sanitizeForTerminal', () => {
  it.each(hostile)('neutralises %j', (text) => {
    const clean = sanitizeForTerminal(`before ${text} after`);
    expect(clean).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(clean.startsWith('before ')).toBe(true);
    expect(clean.endsWith(' after')).toBe(true);
  });

  it('keeps the visible words of links and colours, and keeps newlines and tabs', () => {
    expect(sanitizeForTerminal(`${ESC}]8;;https://x${ESC}\\click${ESC}]8;;${ESC}\\ and ${ESC}[1mbold${ESC}[0m`)).toBe('click and bold');
    expect(sanitizeForTerminal('a\tb\nc\r\nd')).toBe('a\tb\nc\r\nd');
  });

  it('leaves ordinary text, including other scripts and emoji, exactly as it was', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        fc.pre(!/[\u0000-\u001f\u007f-\u009f]/.test(text));
        return sanitizeForTerminal(text) === text;
      }),
    );
  });

  it('never lets a control character through, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(sanitizeForTerminal(text).replace(/\r\n/g, '\n'))),
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
const noControls = (text: string): boolean => !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text.replace(/\r\n/g, '\n'));

describe('StreamSanitizer', () => {
  it('gives the same result as the whole text however well-formed text is split into chunks', () => {
    const pieces = fc.array(fc.constantFrom('plain ', 'words.\n', ...hostile, '\r', '\n', 'é'), { maxLength: 20 });
    fc.assert(
      fc.property(pieces, sizes, (parts, chunkSizes) => {
        const text = parts.join('');
        expect(streamed(text, chunkSizes)).toBe(sanitizeForTerminal(text));
      }),
      { numRuns: 500 },
    );
  });

  it('lets no control character through, even from broken sequences split anywhere', () => {
    const pieces = fc.array(fc.constantFrom('text ', ...hostile, '\u001b', '\u001b[', '\u001b]0;ti', 'tle\u0007', '\u009b', '\r'), { maxLength: 20 });
    fc.assert(fc.property(pieces, sizes, (parts, chunkSizes) => noControls(streamed(parts.join(''), chunkSizes))), { numRuns: 500 });
  });
});
