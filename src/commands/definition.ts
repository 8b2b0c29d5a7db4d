/**
 * The shape of a command's definition (`*.command.ts`, beside the command): its name,
 * arguments, options and help, added to the program by the command table in src/cli.ts.
 * A definition imports its command only inside the action, so `--help` and one command
 * never load the others (or what they load: the SDK, pg, ora).
 */
import type { Command } from 'commander';
import type { ConfigFlags } from '../config.js';
import type { ExitCodeValue } from '../errors.js';
import type { CommandContext } from './context.js';

/**
 * Loads the configuration with these flags, builds the real dependencies (src/cli.ts, the
 * one place that does) and runs the command with them.
 */
export type CommandRunner = (flags: ConfigFlags, command: (context: CommandContext) => Promise<ExitCodeValue>) => Promise<void>;

/**
 * Adds one command to `program`. Through `program.command()`, so the command inherits the
 * program's output, error handling and help option.
 */
export type CommandDefinition = (program: Command, run: CommandRunner) => void;

/** The "Examples:" block shown after a command's options: command lines (each shown after `$ `), then any notes. */
export function examples(lines: readonly string[], notes?: string): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}${notes === undefined ? '' : `\n\n${notes}`}`;
}
