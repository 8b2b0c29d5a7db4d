/**
 * What shell completion offers, read from the program itself (the command table and each
 * *.command.ts definition), so a new command or option completes without touching the
 * completion scripts. Only what `--help` shows is offered.
 */
import type { Command, Option } from 'commander';
import { STT_ENGINES, TTS_ENGINES } from '../config.js';

/**
 * What an option's value is, for completing it: names a hidden helper command lists (session
 * ids, roles), files, fixed choices, or anything.
 */
export type ValueKind = { kind: 'listed'; helper: ListingHelper } | { kind: 'file' } | { kind: 'choices'; choices: readonly string[] } | { kind: 'other' };

/** The hidden commands that print completions one a line, fast and without the network: session ids from the store, role names from the config file. */
export type ListingHelper = 'history --ids' | 'roles --names';

export interface CompletionOption {
  /** The spellings, long first: ["--session", "-s"]. */
  names: string[];
  description: string;
  /** Undefined for a switch (no value). */
  value?: ValueKind;
}

export interface CompletionCommand {
  /** The command words after the program's name: [] for the program, ["cache", "clear"]. */
  path: string[];
  description: string;
  subcommands: CompletionCommand[];
  options: CompletionOption[];
  /** The fixed choices of its first argument, if it has them (`completion <shell>`). */
  argumentChoices: readonly string[];
}

export function completionTree(command: Command, path: string[] = []): CompletionCommand {
  const help = command.createHelp();
  return {
    path,
    description: command.description(),
    subcommands: help
      .visibleCommands(command)
      .filter((subcommand) => subcommand.name() !== 'help')
      .map((subcommand) => completionTree(subcommand, [...path, subcommand.name()])),
    options: help.visibleOptions(command).map(completionOption),
    argumentChoices: command.registeredArguments[0]?.argChoices ?? [],
  };
}

/** Every command in the tree, the program first, parents before their subcommands. */
export function allCommands(tree: CompletionCommand): CompletionCommand[] {
  return [tree, ...tree.subcommands.flatMap(allCommands)];
}

function completionOption(option: Option): CompletionOption {
  const names = [option.long, option.short].filter((name): name is string => name !== undefined);
  const takesValue = option.required || option.optional;
  return { names, description: option.description, ...(takesValue ? { value: valueKind(option) } : {}) };
}

/** Read from the option's placeholder, as its help shows it: `<id>` is a session, `<file>`/`<dir>` a path; and --role, --tts and --stt. */
function valueKind(option: Option): ValueKind {
  if (option.argChoices !== undefined) return { kind: 'choices', choices: option.argChoices };
  // Checked by the configuration (flag, environment or file alike), so commander does not know them.
  const engines = option.long === '--tts' ? TTS_ENGINES : option.long === '--stt' ? STT_ENGINES : undefined;
  if (engines) return { kind: 'choices', choices: engines };
  const placeholder = /<([^>]+)>|\[([^\]]+)\]/.exec(option.flags);
  const name = placeholder?.[1] ?? placeholder?.[2];
  if (name === 'id') return { kind: 'listed', helper: 'history --ids' };
  if (option.long === '--role') return { kind: 'listed', helper: 'roles --names' };
  if (name === 'file' || name === 'dir') return { kind: 'file' };
  return { kind: 'other' };
}
