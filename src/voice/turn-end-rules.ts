/**
 * A turn end that listens to the words: with the transcript of what was said so far, wait
 * longer when it is clearly unfinished ("I want to go to the", "y luego, pero"), commit
 * sooner when it is a complete question or command. Small word lists for English and
 * Spanish; anything else keeps the configured window. The rules only move the window: they
 * never decide alone that a turn ended.
 */

export type TurnEndVerdict = 'unfinished' | 'complete' | 'undecided';

/** The trailing silence that ends a turn, by what the words say. Milliseconds. */
export interface TurnEndWindows {
  /**
   * Words that cannot end a sentence. Default 1200: the shortest of 700/900/1200 that kept a
   * sentence with a 1000 ms pause after "for" whole (BENCHMARKS.md, section 8, word-aware turn end).
   */
  unfinishedMilliseconds: number;
  /** Neither: the detector's own window (--silence, default 700). */
  undecidedMilliseconds: number;
  /**
   * A complete question or command. Default 700, the same as --silence: on the fixtures any
   * shorter window cut "Remind me to buy milk ... and call my sister" at its 450 or 600 ms
   * pause (the first half is a complete command by its words), so by default it only shortens
   * a --silence set longer than 700 (BENCHMARKS.md, section 8, word-aware turn end).
   */
  completeMilliseconds: number;
}

export const DEFAULT_UNFINISHED_MILLISECONDS = 1200;
export const DEFAULT_COMPLETE_MILLISECONDS = 700;

type Language = 'en' | 'es';

/** Words after which a sentence cannot end: conjunctions, articles, prepositions, possessives, fillers. */
const UNFINISHED_WORDS: Record<Language, ReadonlySet<string>> = {
  en: new Set([
    'and', 'but', 'or', 'nor', 'so', 'because', 'since', 'although', 'though', 'if', 'unless', 'while', 'whereas', 'than', 'that', 'which', 'who', 'whose',
    'the', 'a', 'an', 'this', 'these', 'those', 'my', 'your', 'his', 'her', 'its', 'our', 'their', 'some', 'any', 'every',
    'to', 'of', 'in', 'on', 'at', 'for', 'with', 'from', 'by', 'about', 'into', 'onto', 'over', 'under', 'between', 'through', 'like', 'as',
    'um', 'umm', 'uh', 'uhh', 'er', 'erm', 'hmm', 'mm', 'ah',
    // Not verbs such as "is" or "can": "I know what it is", "yes I can" are complete.
  ]),
  es: new Set([
    'y', 'e', 'o', 'u', 'ni', 'pero', 'sino', 'porque', 'pues', 'que', 'si', 'cuando', 'aunque', 'mientras', 'como',
    'el', 'la', 'los', 'las', 'un', 'una', 'unos', 'unas', 'lo', 'mi', 'mis', 'tu', 'tus', 'su', 'sus', 'nuestro', 'nuestra', 'este', 'esta', 'ese', 'esa',
    'de', 'del', 'a', 'al', 'en', 'con', 'por', 'para', 'sin', 'sobre', 'entre', 'hasta', 'desde', 'hacia',
    'eh', 'em', 'mmm', 'esto', 'o sea', 'muy',
    // Not verbs such as "es": "¿qué hora es?" is complete.
  ]),
};

/** Words that open a question or a command: said whole, the turn is complete. */
const COMPLETE_OPENERS: Record<Language, ReadonlySet<string>> = {
  en: new Set([
    'what', "what's", 'who', "who's", 'where', "where's", 'when', 'why', 'how', "how's", 'which', 'is', 'are', 'do', 'does', 'did', 'can', 'could', 'would', 'will', 'should',
    'tell', 'give', 'show', 'play', 'stop', 'set', 'turn', 'open', 'call', 'find', 'search', 'read', 'say', 'explain', 'translate', 'remind', 'list', 'summarize', 'please',
  ]),
  es: new Set([
    'qué', 'que', 'quién', 'quien', 'dónde', 'donde', 'cuándo', 'cuando', 'cómo', 'como', 'cuál', 'cual', 'cuánto', 'cuántos', 'por qué',
    'dime', 'dame', 'pon', 'abre', 'llama', 'enciende', 'apaga', 'muestra', 'muéstrame', 'cuéntame', 'busca', 'explica', 'explícame', 'traduce', 'lee', 'recuérdame', 'para',
  ]),
};

/** Marks that leave a sentence open: a comma, a colon, a dash, an ellipsis. */
const OPEN_ENDING = /(?:[,;:\-–—]|\.\.\.|…)\s*$/;

/** What the words say about the turn; `language` narrows the word lists (ISO-639-1), undefined uses all. */
export function judgeTranscript(transcript: string, language?: string | undefined): TurnEndVerdict {
  const text = transcript.trim().toLowerCase();
  if (text === '') return 'undecided';
  // A transcriber may close an open phrase with a period anyway ("so the thing is,.").
  if (OPEN_ENDING.test(text) || OPEN_ENDING.test(text.replace(/[.!?]\s*$/, ''))) return 'unfinished';
  const words = text.replace(/[¿¡"“”«»()]/g, ' ').replace(/[.!?]+$/, '').split(/\s+/).filter(Boolean);
  const last = words.at(-1);
  if (last === undefined) return 'undecided';
  const lists = languagesOf(language);
  const lastTwo = words.slice(-2).join(' ');
  if (lists.some((list) => UNFINISHED_WORDS[list].has(last) || UNFINISHED_WORDS[list].has(lastTwo))) return 'unfinished';
  if (/\?\s*$/.test(text)) return 'complete';
  const first = words[0]!;
  const firstTwo = words.slice(0, 2).join(' ');
  if (words.length >= 2 && lists.some((list) => COMPLETE_OPENERS[list].has(first) || COMPLETE_OPENERS[list].has(firstTwo))) return 'complete';
  return 'undecided';
}

/** The trailing silence to wait for after these words. Never shorter than the undecided window for unfinished words. */
export function trailingWindowFor(transcript: string, windows: TurnEndWindows, language?: string | undefined): number {
  const verdict = judgeTranscript(transcript, language);
  if (verdict === 'unfinished') return Math.max(windows.unfinishedMilliseconds, windows.undecidedMilliseconds);
  if (verdict === 'complete') return Math.min(windows.completeMilliseconds, windows.undecidedMilliseconds);
  return windows.undecidedMilliseconds;
}

function languagesOf(language: string | undefined): Language[] {
  const code = language?.toLowerCase().slice(0, 2);
  return code === 'en' || code === 'es' ? [code] : ['en', 'es'];
}
