import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainTextSearchQuery, previewOf } from '../../src/store/text-search.js';

describe('plainTextSearchQuery', () => {
  const database = new Database(':memory:');
  database.exec("CREATE VIRTUAL TABLE t USING fts5 (content, tokenize = 'unicode61 remove_diacritics 2')");
  database.prepare('INSERT INTO t VALUES (?)').run('The quick brown fox; 100% sure, "quoted" words');

  it('never produces a query FTS5 rejects, whatever was typed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (typed) => {
        const query = plainTextSearchQuery(typed);
        if (query !== undefined) database.prepare('SELECT * FROM t WHERE t MATCH ?').all(query);
      }),
      { numRuns: 500 },
    );
  });

  it('matches words as plain text, all of them', () => {
    const search = (typed: string): number => database.prepare('SELECT * FROM t WHERE t MATCH ?').all(plainTextSearchQuery(typed)!).length;
    expect(search('quick fox')).toBe(1);
    expect(search('"quoted"')).toBe(1);
    expect(search('100%')).toBe(1);
    expect(search('quick cat')).toBe(0);
    expect(search('fox OR cat')).toBe(0);
  });

  it('has nothing to search in punctuation alone', () => {
    expect(plainTextSearchQuery('  %;"*( ')).toBeUndefined();
  });
});

describe('previewOf', () => {
  it('is one line, at most the given length', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 2, max: 100 }), (text, length) => {
        const preview = previewOf(text, length);
        return !/\n/.test(preview) && preview.length <= length;
      }),
    );
  });
});
