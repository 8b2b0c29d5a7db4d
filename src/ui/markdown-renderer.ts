/**
 * Markdown answers drawn for a terminal as they stream: headings, lists, quotes, rules,
 * emphasis, inline code, links as "text (url)", and fenced code blocks with a small
 * keyword highlighter (code-highlighter.ts). Used only when stdout is a terminal (and not
 * --raw); terminal.ts loads this module lazily, so piped answers never pay for it.
 *
 * Streaming without re-printing: a printed character is never taken back (no cursor moves,
 * so no flicker and nothing breaks when a line wraps). Instead, the renderer holds back
 * only what it cannot decide yet, and prints the rest at once:
 * - the start of a line until its kind is known ("-" might be a bullet or a rule, "1" a
 *   numbered item or a year): a few characters;
 * - a run of `*` or `_` until the next character says whether it opens, closes or is literal;
 * - a link from `[` until `](url)` is complete (or turns out not to be a link: bounded);
 * - a code block line until it ends (it is highlighted whole; code lines are short).
 * The price is that emphasis is decided with what has arrived: an opening `*` never closed
 * styles the rest of its line (styles end with the line, so nothing leaks further).
 *
 * The input must already be neutralised (StreamSanitizer): this module adds escape
 * sequences (colours, through chalk) and passes everything else through as text. Every
 * printed piece closes its own styles, so an answer cut off at any point (Ctrl-C) never
 * leaves the terminal bold or coloured.
 */
import type { ChalkInstance } from 'chalk';
import { highlightCodeLine } from './code-highlighter.js';

/** Link text held longer than this (UTF-16 units) without `](url)` is printed as plain text. */
const MAX_LINK_LENGTH = 500;
/** A rule is drawn this wide at most (or as wide as the terminal). */
const MAX_RULE_WIDTH = 60;

/** Could still become a heading, list item, rule, quote or fence once more characters arrive. */
const UNDECIDED_LINE_START = /^[ \t]*(?:#{0,6}|[-*+_]+|\d{1,9}[.)]?|>|`{1,2}|~{1,2})$/;
const FENCE = /^[ \t]*(```+|~~~+)[ \t]*([^`\s]*)/;
const HEADING = /^[ \t]{0,3}(#{1,6})[ \t]+/;
const BULLET = /^([ \t]*)[-*+][ \t]+/;
const NUMBERED = /^([ \t]*)(\d{1,9}[.)])[ \t]+/;
const QUOTE = /^([ \t]{0,3})>[ \t]?/;
const RULE = /^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const WORD_CHARACTER = /[\p{L}\p{N}]/u;
const ESCAPABLE = /[!-/:-@[-`{-~]/;
/**
 * What may follow an emphasis mark that opens: a letter or digit, a code span, a link, a quote.
 * Stricter than CommonMark, because a mark that opens cannot wait for its closer: a glob like
 * `src/*.ts` or `**\/*.js` stays literal instead of styling the rest of its line.
 */
const OPENS_BEFORE = /[\p{L}\p{N}`["']/u;

type LineKind = 'paragraph' | 'heading' | 'quote';

interface InlineStyle {
  bold: boolean;
  italic: boolean;
  code: boolean;
}

type LinkState = { part: 'text'; text: string } | { part: 'after-text'; text: string } | { part: 'url'; text: string; url: string };

export interface MarkdownRendererOptions {
  /** Colours for stdout (level 0 with NO_COLOR: the layout stays, the colours go). */
  chalk: ChalkInstance;
  /** Terminal width in columns, for rules; 80 when unknown. */
  columns?: number | undefined;
}

export class MarkdownRenderer {
  private readonly chalk: ChalkInstance;
  private readonly ruleWidth: number;
  private output: string[] = [];
  /** Text in one style not yet painted, so a styled word costs one pair of escape sequences, not one per character. */
  private run = '';
  private runStyle = '';

  // The current line.
  private lineStart: string | undefined = '';
  private lineKind: LineKind = 'paragraph';
  private headingLevel = 0;
  private style: InlineStyle = { bold: false, italic: false, code: false };
  private delimiters = '';
  private escaping = false;
  private link: LinkState | undefined;
  private linksOff = false;
  private previous = '';

  // Fenced code: the fence that opened the block, its language, and the line being read.
  private fence: { marker: string; language: string } | undefined;
  private fenceLine: string | undefined;
  private codeLine = '';

  constructor({ chalk, columns }: MarkdownRendererOptions) {
    this.chalk = chalk;
    this.ruleWidth = Math.max(3, Math.min(MAX_RULE_WIDTH, columns ?? 80));
  }

  /** Takes the next piece of the answer; returns what can be printed now. */
  push(text: string): string {
    for (const character of text) this.take(character);
    return this.drain();
  }

  /** The answer ended (or was stopped): prints what was held, with every style closed. */
  flush(): string {
    this.endLine(false);
    return this.drain();
  }

  private drain(): string {
    this.paintRun();
    const text = this.output.join('');
    this.output = [];
    return text;
  }

  private take(character: string): void {
    if (character === '\r') return; // the sanitizer keeps CR only before LF; the LF ends the line
    if (character === '\n') {
      this.endLine(true);
      return;
    }
    if (this.fence !== undefined) {
      this.codeLine += character;
      return;
    }
    if (this.fenceLine !== undefined) {
      this.fenceLine += character;
      return;
    }
    if (this.lineStart !== undefined) {
      this.lineStart += character;
      if (FENCE.test(this.lineStart)) {
        this.fenceLine = this.lineStart;
        this.lineStart = undefined;
      } else if (!UNDECIDED_LINE_START.test(this.lineStart)) {
        this.decideLine(this.lineStart);
      }
      return;
    }
    this.inline(character);
  }

  /** The line's kind is known from its start: prints its marker, then its text goes inline. */
  private decideLine(start: string): void {
    this.lineStart = undefined;
    const heading = HEADING.exec(start);
    const bullet = BULLET.exec(start);
    const numbered = NUMBERED.exec(start);
    const quote = QUOTE.exec(start);
    let rest = start;
    if (heading) {
      this.lineKind = 'heading';
      this.headingLevel = heading[1]!.length;
      // Without colours the heading would look like any line: its marks stay.
      if (this.chalk.level === 0) this.emit(heading[0]);
      rest = start.slice(heading[0].length);
    } else if (bullet) {
      this.emit(`${bullet[1]}${this.chalk.dim('•')} `);
      rest = start.slice(bullet[0].length);
    } else if (numbered) {
      this.emit(`${numbered[1]}${this.chalk.dim(numbered[2]!)} `);
      rest = start.slice(numbered[0].length);
    } else if (quote) {
      this.lineKind = 'quote';
      this.emit(`${quote[1]}${this.chalk.dim('│')} `);
      rest = start.slice(quote[0].length);
    }
    for (const character of rest) this.inline(character);
  }

  private endLine(newline: boolean): void {
    if (this.fence !== undefined) {
      this.endCodeLine();
    } else if (this.fenceLine !== undefined) {
      const [, marker = '```', language = ''] = FENCE.exec(this.fenceLine) ?? [];
      this.emit(this.chalk.dim(this.fenceLine));
      this.fence = { marker, language: language.toLowerCase() };
      this.fenceLine = undefined;
    } else {
      if (this.lineStart !== undefined) {
        const start = this.lineStart;
        if (RULE.test(start)) this.emit(this.chalk.dim('─'.repeat(this.ruleWidth)));
        else if (start.trim() !== '') this.decideLine(start);
        else this.emit(start);
      }
      this.endInline();
    }
    if (newline) this.emit('\n');
    this.lineStart = '';
    this.lineKind = 'paragraph';
    this.headingLevel = 0;
  }

  private endCodeLine(): void {
    const fence = this.fence!;
    const line = this.codeLine;
    this.codeLine = '';
    const closing = line.trim();
    if (closing.startsWith(fence.marker) && /^(`+|~+)$/.test(closing)) {
      this.emit(this.chalk.dim(line));
      this.fence = undefined;
      return;
    }
    this.emit(highlightCodeLine(line, fence.language, this.chalk));
  }

  /** Text within a line: emphasis, code spans, links and backslash escapes. */
  private inline(character: string): void {
    if (this.link !== undefined) {
      this.linkCharacter(character);
      return;
    }
    if (this.style.code) {
      if (character === '`') this.setStyle({ code: false });
      else this.text(character);
      return;
    }
    if (this.delimiters !== '') {
      if (character === this.delimiters[0]) {
        this.delimiters += character;
        return;
      }
      this.resolveDelimiters(character);
    }
    if (this.escaping) {
      this.escaping = false;
      this.text(ESCAPABLE.test(character) ? character : `\\${character}`);
      return;
    }
    if (character === '\\') this.escaping = true;
    else if (character === '*' || character === '_') this.delimiters = character;
    else if (character === '`') this.setStyle({ code: true });
    else if (character === '[' && !this.linksOff) this.link = { part: 'text', text: '' };
    else this.text(character);
  }

  /**
   * A run of `*` or `_`, now that the character after it is known (undefined: the line ended).
   * It opens when what precedes is not a letter or digit and what follows may start emphasis, and
   * closes a style that is open when what precedes is not a space and what follows is not a
   * letter or digit; anything else is literal (`2 * 3`, snake_case, a lone `*`).
   */
  private resolveDelimiters(next: string | undefined): void {
    const run = this.delimiters;
    this.delimiters = '';
    const opens = !WORD_CHARACTER.test(this.previous) && next !== undefined && OPENS_BEFORE.test(next);
    const closes = this.previous !== '' && !/\s/.test(this.previous) && (next === undefined || !WORD_CHARACTER.test(next));
    const { bold, italic } = this.style;
    if (run.length === 1 && (italic ? closes : opens)) this.setStyle({ italic: !italic });
    else if (run.length === 2 && (bold ? closes : opens)) this.setStyle({ bold: !bold });
    else if (run.length === 3 && bold && italic && closes) this.setStyle({ bold: false, italic: false });
    else if (run.length === 3 && !bold && !italic && opens) this.setStyle({ bold: true, italic: true });
    else this.text(run);
  }

  private linkCharacter(character: string): void {
    const link = this.link!;
    if (link.part === 'text') {
      if (character === ']') this.link = { part: 'after-text', text: link.text };
      else if (link.text.length >= MAX_LINK_LENGTH) this.notALink(`[${link.text}`, character);
      else link.text += character;
    } else if (link.part === 'after-text') {
      if (character === '(') this.link = { part: 'url', text: link.text, url: '' };
      else this.notALink(`[${link.text}]`, character);
    } else if (character === ')') {
      this.link = undefined;
      this.printLink(link.text, link.url);
    } else if (/\s/.test(character) || link.url.length >= MAX_LINK_LENGTH) {
      this.notALink(`[${link.text}](${link.url}`, character);
    } else {
      link.url += character;
    }
  }

  /**
   * Held text that did not become a link: the bracket is printed as it is, the rest read again
   * as text, where a `[` starts no link (so each held character is read again once at most,
   * and a line of `[[[[…` costs linear time, not quadratic).
   */
  private notALink(held: string, next: string | undefined): void {
    this.link = undefined;
    this.text('[');
    this.linksOff = true;
    for (const character of held.slice(1)) this.inline(character);
    this.linksOff = false;
    if (next !== undefined) this.inline(next);
  }

  private printLink(text: string, url: string): void {
    const shown = text.trim() === '' || text === url ? url : text;
    this.emit(this.paint(shown, this.chalk.underline));
    if (shown !== url) this.emit(this.paint(' ', this.chalk), this.chalk.dim(`(${url})`));
    this.previous = ')';
  }

  /** The line ended: what was held is printed as text and every style is closed. */
  private endInline(): void {
    if (this.link !== undefined) {
      const link = this.link;
      const held = link.part === 'text' ? `[${link.text}` : link.part === 'after-text' ? `[${link.text}]` : `[${link.text}](${link.url}`;
      this.notALink(held, undefined);
    }
    if (this.delimiters !== '') this.resolveDelimiters(undefined);
    if (this.escaping) this.text('\\');
    this.escaping = false;
    if (this.style.code && this.chalk.level === 0) this.emit('`');
    this.paintRun();
    this.style = { bold: false, italic: false, code: false };
    this.previous = '';
  }

  private setStyle(change: Partial<InlineStyle>): void {
    this.paintRun();
    // Without colours a code span keeps its backticks, so it still reads as code.
    if (change.code !== undefined && this.chalk.level === 0) this.emit('`');
    this.style = { ...this.style, ...change };
  }

  /** Text in the current style: added to the run, painted when the style changes or output is taken. */
  private text(text: string): void {
    const { bold, italic, code } = this.style;
    const runStyle = `${this.lineKind}${this.headingLevel}${bold ? 'b' : ''}${italic ? 'i' : ''}${code ? 'c' : ''}`;
    if (runStyle !== this.runStyle) this.paintRun();
    this.runStyle = runStyle;
    this.run += text;
    this.previous = text.at(-1) ?? this.previous;
  }

  private paintRun(): void {
    if (this.run === '') return;
    let chalk = this.chalk;
    if (this.lineKind === 'heading') chalk = this.headingLevel <= 1 ? chalk.bold.underline : chalk.bold;
    if (this.lineKind === 'quote') chalk = chalk.italic;
    if (this.style.code) chalk = chalk.cyan;
    if (this.style.bold) chalk = chalk.bold;
    if (this.style.italic) chalk = chalk.italic;
    this.output.push(this.paint(this.run, chalk));
    this.run = '';
  }

  /** Our own output (markers, rules, painted code): after the text before it. */
  private emit(...pieces: string[]): void {
    this.paintRun();
    this.output.push(...pieces);
  }

  private paint(text: string, chalk: ChalkInstance): string {
    return chalk.level === 0 ? text : chalk(text);
  }
}
