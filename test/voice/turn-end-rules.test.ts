import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeTranscript, trailingWindowFor, type TurnEndWindows } from '../../src/voice/turn-end-rules.js';

const windows: TurnEndWindows = { unfinishedMilliseconds: 1200, undecidedMilliseconds: 700, completeMilliseconds: 400 };

describe('word-aware turn end', () => {
  it('hears unfinished English and Spanish, with or without the period a transcriber adds', () => {
    for (const text of ['I want to go to the', 'I want to go to the.', 'Tell me about Paris and', 'What about, um', 'So the thing is,', 'I was thinking -', 'Well...']) {
      expect(judgeTranscript(text, 'en'), text).toBe('unfinished');
    }
    for (const text of ['Quiero ir a la', 'Dime el tiempo y', 'Pero', 'Es que, eh', 'El libro de']) expect(judgeTranscript(text, 'es'), text).toBe('unfinished');
  });

  it('hears complete questions and commands', () => {
    for (const text of ['What is the capital of France?', 'what time is it', 'Tell me a joke.', 'Is it raining?', 'Play some music']) expect(judgeTranscript(text, 'en'), text).toBe('complete');
    for (const text of ['¿Qué hora es?', 'Dime un chiste.', 'Cuál es la capital de Francia', 'Por qué el cielo es azul']) expect(judgeTranscript(text, 'es'), text).toBe('complete');
  });

  it('leaves anything else to the configured window', () => {
    expect(judgeTranscript('The weather is nice today.', 'en')).toBe('undecided');
    expect(judgeTranscript('', 'en')).toBe('undecided');
    expect(trailingWindowFor('The weather is nice today.', windows, 'en')).toBe(700);
    expect(trailingWindowFor('What time is it?', windows, 'en')).toBe(400);
    expect(trailingWindowFor('I want to go to the', windows, 'en')).toBe(1200);
  });

  it('without a language, uses both word lists', () => {
    expect(judgeTranscript('Quiero ir a la')).toBe('unfinished');
    expect(judgeTranscript('I want to go to the')).toBe('unfinished');
  });

  const word = fc.stringMatching(/^[a-z]{1,9}$/);
  const unfinishedEnding = fc.constantFrom('and', 'but', 'the', 'to', 'um', 'uh', 'a', 'of', 'y', 'pero', 'el', 'la', 'que', 'de', 'eh', 'con');
  const punctuationEnding = fc.constantFrom(',', ':', ' -', ' —', '...', '…', ';');
  const casing = fc.constantFrom((text: string) => text, (text: string) => text.toUpperCase(), (text: string) => text[0]!.toUpperCase() + text.slice(1));
  const anyWindows = fc.record({
    unfinishedMilliseconds: fc.integer({ min: 0, max: 5000 }),
    undecidedMilliseconds: fc.integer({ min: 100, max: 5000 }),
    completeMilliseconds: fc.integer({ min: 0, max: 5000 }),
  });

  it('never shortens the window for a phrase ending in an unfinished word or mark, whatever the window settings (property)', () => {
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 12 }),
        fc.oneof(unfinishedEnding, punctuationEnding.map((mark) => `word${mark}`)),
        fc.constantFrom('', '.', ' ', '. '),
        casing,
        fc.constantFrom(undefined, 'en', 'es'),
        anyWindows,
        (prefix, ending, trailing, caseOf, language, settings) => {
          const phrase = caseOf([...prefix, ending].join(' ') + trailing);
          const applicable = language === undefined || ['and', 'but', 'the', 'to', 'um', 'uh', 'a', 'of'].includes(ending) === (language === 'en') || ending.startsWith('word');
          if (!applicable) return;
          expect(judgeTranscript(phrase, language)).toBe('unfinished');
          expect(trailingWindowFor(phrase, settings, language)).toBeGreaterThanOrEqual(settings.undecidedMilliseconds);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('no phrase at all ever gets a window above the unfinished or below the complete one (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), anyWindows, (text, settings) => {
        const window = trailingWindowFor(text, settings);
        expect(window).toBeGreaterThanOrEqual(Math.min(settings.completeMilliseconds, settings.undecidedMilliseconds));
        expect(window).toBeLessThanOrEqual(Math.max(settings.unfinishedMilliseconds, settings.undecidedMilliseconds));
      }),
      { numRuns: 500 },
    );
  });
});
