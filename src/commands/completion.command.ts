/**
 * `assistant completion bash|zsh|fish`: prints the shell's completion script, generated from
 * the program the command belongs to (every command's definition is loaded for it: src/cli.ts).
 */
import { Argument, type Command } from 'commander';
import { ExitCode } from '../errors.js';
import { examples, type CommandDefinition } from './definition.js';

const EXAMPLES = examples(
  [
    'source <(assistant completion bash)                 in ~/.bashrc',
    'source <(assistant completion zsh)                  in ~/.zshrc',
    'assistant completion fish > ~/.config/fish/completions/assistant.fish',
  ],
  'Completes commands, options, and session ids for --session and --delete (read from the store, no network).',
);

export const defineCompletion: CommandDefinition = (program, run) => {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', EXAMPLES)
    .action((shell: 'bash' | 'zsh' | 'fish', _options: unknown, command: Command) =>
      run({}, async (context) => {
        const { completionTree } = await import('./completion-spec.js');
        const { completionScript } = await import('./completion-scripts.js');
        const root = command.parent ?? command;
        context.terminal.write(completionScript(shell, completionTree(root), root.name()));
        return ExitCode.Success;
      }),
    );
};
