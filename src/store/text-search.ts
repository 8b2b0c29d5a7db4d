/** Turning what a person typed into a safe full-text query, shared by every store. */

/**
 * Each word becomes a quoted FTS5 phrase, so quotes, `%`, `;`, `*`, `NEAR`, `OR` and SQL
 * fragments are matched as plain text, never as query syntax. Words are ANDed.
 * Returns undefined when there is nothing to search for.
 */
export function plainTextSearchQuery(text: string): string | undefined {
  const words = text
    .split(/\s+/u)
    .map((word) => word.replace(/[^\p{L}\p{N}_']+/gu, ' ').trim())
    .flatMap((word) => word.split(/\s+/u))
    .filter((word) => word !== '' && /[\p{L}\p{N}]/u.test(word));
  if (words.length === 0) return undefined;
  return words.map((word) => `"${word.replaceAll('"', '""')}"`).join(' ');
}

/** The first words of a message, on one line, for session lists. */
export function previewOf(content: string, length = 80): string {
  const oneLine = content.replace(/\s+/gu, ' ').trim();
  return oneLine.length <= length ? oneLine : `${oneLine.slice(0, length - 1)}…`;
}

/** Lower case without diacritics ("Café" -> "cafe"): how PostgreSQL's search column sees text. */
export function foldForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}
