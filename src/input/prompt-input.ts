/** What `ask` sends: piped stdin and the command-line text, combined. */
import { usageError } from '../errors.js';

export interface InputStream extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
}

/** All of stdin when it is piped or redirected; undefined when it is a terminal. */
export async function readPipedInput(stdin: InputStream): Promise<string | undefined> {
  if (stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
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
