import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssistantError, ExitCode } from '../../src/errors.js';
import { composePrompt, readPipedInput } from '../../src/input/prompt-input.js';

const blank = fc.stringMatching(/^[ \t\n\r]*$/);
const words = fc.string({ minLength: 1 }).filter((text) => text.trim() !== '');

describe('composePrompt', () => {
  it('puts stdin first, a blank line, then the instruction', () => {
    expect(composePrompt('diff --git a b\n+line\n', 'review this')).toBe('diff --git a b\n+line\n\nreview this');
  });

  it('never loses either part and never sends a blank prompt', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), (piped, argument) => {
        const hasPiped = (piped ?? '').trim() !== '';
        const hasArgument = (argument ?? '').trim() !== '';
        if (!hasPiped && !hasArgument) {
          expect(() => composePrompt(piped, argument)).toThrow(AssistantError);
          return;
        }
        const prompt = composePrompt(piped, argument);
        expect(prompt.trim()).not.toBe('');
        if (hasPiped) expect(prompt.startsWith(piped!.replace(/\s+$/u, ''))).toBe(true);
        if (hasArgument) expect(prompt.endsWith(argument!.trim())).toBe(true);
        if (hasPiped && hasArgument) expect(prompt).toContain('\n\n');
      }),
    );
  });

  it('is a usage error (exit 2) when everything is blank', () => {
    fc.assert(
      fc.property(fc.option(blank, { nil: undefined }), fc.option(blank, { nil: undefined }), (piped, argument) => {
        try {
          composePrompt(piped, argument);
          return false;
        } catch (error) {
          return error instanceof AssistantError && error.exitCode === ExitCode.Usage;
        }
      }),
    );
  });

  it('takes a lone argument or lone stdin as is (trimmed at the end)', () => {
    fc.assert(
      fc.property(words, (text) => {
        expect(composePrompt(undefined, text)).toBe(text.trim());
        expect(composePrompt(text, undefined)).toBe(text.replace(/\s+$/u, ''));
      }),
    );
  });
});

describe('readPipedInput', () => {
  it('reads nothing from a terminal', async () => {
    const terminal = Object.assign((async function* () {})(), { isTTY: true });
    expect(await readPipedInput(terminal)).toBeUndefined();
  });

  it('joins chunks, keeping multi-byte characters split across chunks intact', async () => {
    const bytes = Buffer.from('héllo → wörld');
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)];
    const piped = (async function* () {
      yield* chunks;
    })();
    expect(await readPipedInput(piped)).toBe('héllo → wörld');
  });
});
