/** What `ask` sends: piped stdin and the command-line text, combined. */
import { usageError } from '../errors.js';

export interface InputStream extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
}

/** All of stdin when it is piped or redirected; undefined when it is a terminal. Text only, at most maxBytes. */
export async function readPipedInput(stdin: InputStream, maxBytes = Number.POSITIVE_INFINITY): Promise<string | undefined> {
  if (stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buffer.length;
    // Stop reading at once: a 10 GB pipe must not fill memory before being refused.
    if (total > maxBytes) throw tooLong('The piped input', maxBytes);
    chunks.push(buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.includes(0)) {
    throw usageError('The piped input contains NUL bytes: it looks like a binary file, not text. Pipe text, or use --audio - for audio.');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw usageError('The piped input is not valid UTF-8 text. Convert it first (e.g. iconv -f latin1 -t utf-8), or pipe a text file.');
  }
}

/** Refuses a question over the --max-input limit rather than cutting it silently. */
export function checkInputSize(text: string, maxBytes: number, what = 'The question'): string {
  if (Buffer.byteLength(text) > maxBytes) throw tooLong(what, maxBytes);
  return text;
}

function tooLong(what: string, maxBytes: number): Error {
  return usageError(`${what} is over the --max-input limit of ${formatLimit(maxBytes)}. Send less, or raise the limit (--max-input, ASSISTANT_MAX_INPUT).`);
}

function formatLimit(bytes: number): string {
  return bytes >= 1_000_000 ? `${bytes / 1_000_000} MB` : bytes >= 1000 ? `${bytes / 1000} kB` : `${bytes} bytes`;
}

/**
 * Stdin first, a blank line, then the argument as the instruction; either alone when
 * the other is missing or blank. Nothing to send is a usage error.
 */
export function composePrompt(piped: string | undefined, argument: string | undefined): string {
  const stdinText = piped?.replace(/\s+$/u, '') ?? '';
  const instruction = argument?.trim() ?? '';
  const hasStdin = stdinText.trim() !== '';
  if (hasStdin && instruction) return `${stdinText}\n\n${instruction}`;
  if (hasStdin) return stdinText;
  if (instruction) return instruction;
  throw usageError(
    piped === undefined
      ? 'Nothing to ask. Give the question as an argument (assistant ask "hello") or pipe text in.'
      : 'Nothing to ask: the input is empty. Give a question as an argument or pipe non-empty text in.',
  );
}
