/**
 * A speech command as the person wrote it (`--tts-command 'piper --model ~/en.onnx --output_file {out}'`),
 * split into argv once, when it is read, and never handed to a shell. Placeholders are filled
 * per argument afterwards, so text from the model (hostile: quotes, `$(...)`, `;`) lands in
 * exactly one argument, verbatim, and is never parsed as a command line.
 *
 * Quoting, as in a POSIX shell but without any expansion: 'single quotes' keep everything,
 * "double quotes" keep everything but \" \\ \$ and \`, a backslash outside quotes keeps the next
 * character; whitespace separates arguments. A leading ~/ is the home directory.
 */
import { homedir } from 'node:os';
import { AssistantError, ExitCode } from '../errors.js';

export interface CommandLine {
  /** The program: a name on PATH or a path. */
  program: string;
  args: string[];
}

export function splitCommandLine(text: string, setting: string, home: string = homedir()): CommandLine {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!;
    if (quote === "'") {
      if (character === "'") quote = undefined;
      else word += character;
    } else if (quote === '"') {
      if (character === '"') quote = undefined;
      else if (character === '\\' && '"\\$`'.includes(text[index + 1] ?? 'none')) word += text[(index += 1)]!;
      else word += character;
    } else if (/\s/.test(character)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (character === "'" || character === '"') {
      quote = character;
      word ??= '';
    } else if (character === '\\' && index + 1 < text.length) {
      word = (word ?? '') + text[(index += 1)]!;
    } else {
      word = (word ?? '') + character;
    }
  }
  if (quote) throw new AssistantError(`${setting} has an unclosed ${quote} quote: ${text}`, { exitCode: ExitCode.Usage });
  if (word !== undefined) words.push(word);
  const expanded = words.map((part) => (part === '~' ? home : part.startsWith('~/') ? home + part.slice(1) : part));
  const [program, ...args] = expanded;
  if (program === undefined || program === '') throw new AssistantError(`${setting} is empty; give a command such as 'piper --model en.onnx --output_file {out}'.`, { exitCode: ExitCode.Usage });
  return { program, args };
}

/** Does any argument hold this placeholder ("{out}", "{text}", "{file}")? */
export function mentions(command: CommandLine, placeholder: string): boolean {
  return command.args.some((argument) => argument.includes(placeholder));
}

/** Each argument with its placeholders replaced; a value never splits or joins arguments. */
export function fillPlaceholders(command: CommandLine, values: Record<string, string>): string[] {
  return command.args.map((argument) => argument.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole));
}
