import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SentenceSplitter, speakable, type SentenceSplitterOptions } from '../../src/voice/sentence-splitter.js';

function split(text: string, chunkSizes: number[] = [text.length || 1], options: SentenceSplitterOptions = {}): string[] {
  const splitter = new SentenceSplitter(options);
  const out: string[] = [];
  let offset = 0;
  let turn = 0;
  while (offset < text.length) {
    const size = Math.max(1, chunkSizes[turn % chunkSizes.length]!);
    out.push(...splitter.push(text.slice(offset, offset + size)));
    offset += size;
    turn += 1;
  }
  out.push(...splitter.flush());
  return out;
}

describe('SentenceSplitter', () => {
  it('cuts at sentence ends', () => {
    expect(split('Hello there. How are you? I am fine! Good')).toEqual(['Hello there.', 'How are you?', 'I am fine!', 'Good']);
  });

  it('does not cut on abbreviations, initials, decimals or URLs', () => {
    expect(split('Take e.g. the apple. Dr. Smith met J. R. Tolkien at 3.5 pm. See example.com/a.b for more.')).toEqual([
      'Take e.g. the apple.',
      'Dr. Smith met J. R. Tolkien at 3.5 pm.',
      'See example.com/a.b for more.',
    ]);
    expect(split('Visit https://example.com/x.html. Then rest.')).toEqual(['Visit a link', 'Then rest.']);
  });

  it('emits a sentence as soon as the next character shows it ended', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('First one.')).toEqual([]);
    expect(splitter.push(' Sec')).toEqual(['First one.']);
    expect(splitter.push('ond.')).toEqual([]);
    expect(splitter.flush()).toEqual(['Second.']);
  });

  it('skips code blocks and reads no markdown symbols', () => {
    const reply = 'Here is **bold** and `code`.\n\n```js\nconsole.log("x. y. z.");\n```\n\n## Next\n- item *one*\n- item two\n\nDone.';
    expect(split(reply)).toEqual(['Here is bold and code.', 'Next', 'item one', 'item two', 'Done.']);
  });

  it('splits very long sentences', () => {
    const long = `${'word '.repeat(200)}end.`;
    const sentences = split(long);
    expect(sentences.length).toBeGreaterThan(2);
    for (const sentence of sentences) expect(sentence.length).toBeLessThanOrEqual(300);
    expect(sentences.join(' ').split(/\s+/).length).toBe(201);
  });

  it('gives the same sentences however the stream is chunked', () => {
    const text = fc.array(
      fc.constantFrom('Hello', 'world.', 'e.g.', 'Dr.', '3.5', 'ok!', 'why?', '\n', '\n\n', '```\ncode here.\n```\n', '**bold**', '- item', 'https://a.b/c.d', 'J.', 'end'),
      { maxLength: 40 },
    ).map((parts) => parts.join(' '));
    fc.assert(
      fc.property(text, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }), (reply, chunks) => {
        expect(split(reply, chunks)).toEqual(split(reply));
      }),
      { numRuns: 300 },
    );
  });

  it('loses no words outside code, and speaks no markdown symbols', () => {
    const word = fc.stringMatching(/^[A-Za-z]{1,8}$/);
    const sentence = fc.tuple(fc.array(word, { minLength: 1, maxLength: 8 }), fc.constantFrom('.', '!', '?')).map(([words, end]) => `${words.join(' ')}${end}`);
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 9 }), (sentences, chunk) => {
        const reply = sentences.join(' ');
        const spoken = split(reply, [chunk]);
        expect(spoken.join(' ').replace(/[.!?]/g, '')).toBe(reply.replace(/[.!?]/g, ''));
        for (const part of spoken) expect(part).not.toMatch(/[*#`]/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('first clause clip', () => {
  const clause = { firstClauseWords: 4 };

  it('cuts the first clip at a comma, colon or dash once it has enough words; the rest in whole sentences', () => {
    expect(split('The capital of France is Paris, a city on the Seine. It is big, old, and lovely.', [3], clause)).toEqual([
      'The capital of France is Paris,',
      'a city on the Seine.',
      'It is big, old, and lovely.',
    ]);
    expect(split('Here is the short answer: yes. Done.', [5], clause)).toEqual(['Here is the short answer:', 'yes.', 'Done.']);
    expect(split('Paris is the capital - and the largest city. Yes.', [2], clause)).toEqual(['Paris is the capital -', 'and the largest city.', 'Yes.']);
    expect(split('Paris is the capital — and the largest city.', [2], clause)).toEqual(['Paris is the capital —', 'and the largest city.']);
  });

  it('emits the clause as soon as the character after the mark arrives, before the sentence ends', () => {
    const splitter = new SentenceSplitter(clause);
    expect(splitter.push('Well, the capital of France')).toEqual([]);
    expect(splitter.push(' is Paris,')).toEqual([]);
    expect(splitter.push(' a')).toEqual(['Well, the capital of France is Paris,']);
    expect(splitter.push(' city.')).toEqual([]);
    expect(splitter.flush()).toEqual(['a city.']);
  });

  it('does not cut too few words, numbers, times, URLs or hyphenated words', () => {
    expect(split('Sure, the capital of France is Paris.', [4], clause)).toEqual(['Sure, the capital of France is Paris.']);
    expect(split('It holds 1,000,000 people at 12:30 in the well-known city. Yes.', [3], clause)).toEqual(['It holds 1,000,000 people at 12:30 in the well-known city.', 'Yes.']);
    expect(split('See https://example.com/a for the answer today. Yes.', [3], clause)).toEqual(['See a link for the answer today.', 'Yes.']);
  });

  it('a sentence that ends first wins; only the first clip may be a clause', () => {
    expect(split('Yes. The capital of France is Paris, on the Seine.', [4], clause)).toEqual(['Yes.', 'The capital of France is Paris, on the Seine.']);
  });

  it('without the option, only whole sentences', () => {
    expect(split('The capital of France is Paris, a city on the Seine.')).toEqual(['The capital of France is Paris, a city on the Seine.']);
  });

  it('loses no words and never cuts the first clip shorter than the minimum', () => {
    const word = fc.stringMatching(/^[A-Za-z]{1,8}$/);
    const piece = fc.tuple(fc.array(word, { minLength: 1, maxLength: 6 }), fc.constantFrom(',', ':', ' -', '.', '!', '?')).map(([words, end]) => `${words.join(' ')}${end}`);
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 6 }), (pieces, chunk, minimum) => {
        const reply = pieces.join(' ');
        const spoken = split(reply, [chunk], { firstClauseWords: minimum });
        const words = (text: string): string[] => text.split(/[\s,:.!?-]+/).filter(Boolean);
        expect(words(spoken.join(' '))).toEqual(words(reply));
        const first = spoken[0]!;
        if (spoken.length > 1 && /[,:-]$/.test(first)) expect(words(first).length).toBeGreaterThanOrEqual(minimum);
        for (const later of spoken.slice(1, -1)) expect(later).toMatch(/[.!?]$/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('speech input limit', () => {
  it('never hands the speech endpoint more than its 4096-character limit, even without spaces or punctuation', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20_000 }), fc.integer({ min: 1, max: 5000 }), (text, chunk) => {
        for (const sentence of split(text, [chunk])) expect(sentence.length).toBeLessThanOrEqual(4096);
      }),
      { numRuns: 50 },
    );
    const wall = 'x'.repeat(10_000);
    const parts = split(wall);
    expect(parts.join('')).toBe(wall);
    expect(Math.max(...parts.map((part) => part.length))).toBeLessThanOrEqual(300);
  });
});

describe('speakable', () => {
  it('keeps link text and drops the URL', () => {
    expect(speakable('See [the docs](https://x.y/z) now')).toBe('See the docs now');
  });
});
