/**
 * Cuts a streamed reply into speakable sentences as it arrives, so speech can begin with
 * the first one while the model is still writing. It does not cut on abbreviations
 * ("e.g.", "Dr."), initials, decimals ("3.5") or inside URLs; it drops code blocks and
 * markdown symbols, which should not be read aloud; it splits sentences that are too long.
 * The first piece may be a clause (up to a comma, colon or dash), so speech starts sooner.
 */

const ABBREVIATIONS = new Set([
  'e.g', 'i.e', 'etc', 'vs', 'cf', 'al', 'approx', 'ca', 'dr', 'mr', 'mrs', 'ms', 'prof', 'st', 'sr', 'jr', 'mt',
  'no', 'nos', 'fig', 'vol', 'p', 'pp', 'inc', 'ltd', 'co', 'corp', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug',
  'sep', 'sept', 'oct', 'nov', 'dec', 'a.m', 'p.m', 'u.s', 'u.k', 'min', 'max', 'est',
]);

export interface SentenceSplitterOptions {
  /** A sentence longer than this is split at a comma, semicolon or space. Default 300 characters. */
  maximumLength?: number;
  /**
   * The first piece of a reply may end at a comma, semicolon, colon or dash once it has this
   * many words, so its audio can start before the first sentence is complete; the rest is
   * still cut in whole sentences. Undefined (the default): whole sentences only.
   */
  firstClauseWords?: number | undefined;
}

export class SentenceSplitter {
  private buffer = '';
  private readonly code = new CodeBlockFilter();
  private readonly maximumLength: number;
  private readonly firstClauseWords: number | undefined;
  private emitted = false;

  constructor(options: SentenceSplitterOptions = {}) {
    this.maximumLength = options.maximumLength ?? 300;
    this.firstClauseWords = options.firstClauseWords;
  }

  /** Adds streamed text; returns the sentences it completed (already cleaned for speech). */
  push(text: string): string[] {
    this.buffer += this.code.push(text);
    const sentences: string[] = [];
    if (!this.emitted && this.firstClauseWords !== undefined) {
      const clauseEnd = findClauseBoundary(this.buffer, this.firstClauseWords);
      if (clauseEnd !== undefined) {
        emit(this.buffer.slice(0, clauseEnd), sentences);
        this.buffer = this.buffer.slice(clauseEnd);
      }
    }
    for (;;) {
      const end = findBoundary(this.buffer);
      if (end === undefined) break;
      emit(this.buffer.slice(0, end), sentences);
      this.buffer = this.buffer.slice(end);
    }
    while (this.buffer.length > this.maximumLength) {
      const end = splitPoint(this.buffer, this.maximumLength);
      emit(this.buffer.slice(0, end), sentences);
      this.buffer = this.buffer.slice(end);
    }
    if (sentences.length > 0) this.emitted = true;
    return sentences;
  }

  /** The rest, at the end of the reply. */
  flush(): string[] {
    const sentences: string[] = [];
    emit(this.buffer + this.code.flush(), sentences);
    this.buffer = '';
    return sentences;
  }
}

/**
 * Passes text through, except fenced code blocks (``` or ~~~ lines). The start of each
 * line is held back until it is clear whether it opens or closes a fence.
 */
class CodeBlockFilter {
  private line = '';
  private holding = true;
  private inCode = false;

  push(text: string): string {
    let out = '';
    for (const character of text) {
      if (!this.holding) {
        if (!this.inCode) out += character;
        if (character === '\n') this.holding = true;
        continue;
      }
      this.line += character;
      const start = this.line.trimStart();
      if (character === '\n') {
        if (/^(```|~~~)/.test(start)) this.inCode = !this.inCode;
        else if (!this.inCode) out += this.line;
        this.line = '';
      } else if (start !== '' && !/^(`{1,2}|~{1,2})$/.test(start) && !/^(```|~~~)/.test(start)) {
        // Not a fence: let the line through as it comes.
        if (!this.inCode) out += this.line;
        this.line = '';
        this.holding = false;
      }
    }
    return out;
  }

  flush(): string {
    const rest = this.inCode || /^\s*(```|~~~)/.test(this.line) ? '' : this.line;
    this.line = '';
    this.holding = true;
    this.inCode = false;
    return rest;
  }
}

/** The index just after the first sentence end whose following character has arrived. */
function findBoundary(text: string): number | undefined {
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!;
    if (character === '\n') {
      // A blank line, or the end of a list item or heading, ends a sentence.
      if (text[index + 1] === '\n' || /^\s*([-*+]|\d+[.)]|#+)\s/.test(lineAt(text, index))) return index + 1;
      continue;
    }
    if (!'.!?…'.includes(character)) continue;
    let end = index + 1;
    while (end < text.length && '.!?…"\')]»”’*_'.includes(text[end]!)) end += 1;
    if (end >= text.length) return undefined; // wait: the next character decides
    if (!/\s/.test(text[end]!)) continue; // "3.5", "example.com", "e.g.x"
    if (character === '.' && isAbbreviation(text, index)) continue;
    return end;
  }
  return undefined;
}

/**
 * The index just after the first clause mark (", ", "; ", ": ", " - ", " – ", "—") that ends at
 * least `minimumWords` words, when it comes before the first sentence end. The character
 * after the mark must have arrived: "1,000" and "12:30" are not clause ends.
 */
function findClauseBoundary(text: string, minimumWords: number): number | undefined {
  const sentenceEnd = findBoundary(text) ?? text.length;
  const marks = /([,;:]|\s[-–—]|—)(?=\s)/g;
  for (let match = marks.exec(text); match && match.index < sentenceEnd; match = marks.exec(text)) {
    const end = match.index + match[0].length;
    if (wordCount(speakable(text.slice(0, end))) >= minimumWords) return end;
  }
  return undefined;
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}

function emit(raw: string, sentences: string[]): void {
  const spoken = speakable(raw);
  if (/[\p{L}\p{N}]/u.test(spoken)) sentences.push(spoken);
}

function lineAt(text: string, newlineIndex: number): string {
  const start = text.lastIndexOf('\n', newlineIndex - 1) + 1;
  return text.slice(start, newlineIndex);
}

function isAbbreviation(text: string, dotIndex: number): boolean {
  const before = text.slice(0, dotIndex);
  const word = /([\p{L}.]+)$/u.exec(before)?.[1] ?? '';
  if (word === '') return false;
  if (/^\p{Lu}$/u.test(word)) return true; // an initial: "J. Smith"
  return ABBREVIATIONS.has(word.toLowerCase().replace(/^\.+/, ''));
}

/** Where to split an over-long sentence: the last comma/semicolon/colon, else the last space. */
function splitPoint(text: string, maximum: number): number {
  const window = text.slice(0, maximum);
  const punctuation = Math.max(window.lastIndexOf(', '), window.lastIndexOf('; '), window.lastIndexOf(': '));
  if (punctuation > maximum / 3) return punctuation + 2;
  const space = window.lastIndexOf(' ');
  return space > 0 ? space + 1 : maximum;
}

/** Markdown and code out, words in: what a voice should say. */
export function speakable(text: string): string {
  return text
    .replace(/`([^`]*)`/g, '$1') // inline code: keep the words
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1') // images
    .replace(/\[([^\]]+)\]\((?:[^)]*)\)/g, '$1') // links: the text, not the URL
    .replace(/https?:\/\/\S+/g, 'a link')
    .replace(/^\s*#{1,6}\s+/gm, '') // headings
    .replace(/^\s*>\s?/gm, '') // quotes
    .replace(/^\s*[-*+]\s+/gm, '') // bullets
    .replace(/^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*$/gm, '') // table rules
    .replace(/\|/g, ', ')
    .replace(/(\*\*|__|~~)/g, '')
    .replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=[\s).,!?;:]|$)/g, '$1$2') // *emphasis*
    .replace(/[*_#`~]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
