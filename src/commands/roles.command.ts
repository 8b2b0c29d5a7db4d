/** `assistant roles`: its options and help. The command itself is roles.ts. */
import { Option } from 'commander';
import { examples, type CommandDefinition } from './definition.js';

const HELP = `
A role is a named system prompt in the config file, with the model, voice and language it sets
(each optional); --role <name> on ask, talk and chat uses it. Flags still win over a role.
${examples([
  'assistant roles',
  'assistant config set roles.reviewer.system "You review code tersely."',
  'assistant config set roles.reviewer.model gpt-4o',
  'git diff | assistant ask --role reviewer',
])}`;

export const defineRoles: CommandDefinition = (program, run) => {
  program
    .command('roles')
    .description('list the roles defined in the config file (for --role)')
    .option('--json', 'print JSON')
    // For shell completion (assistant completion): role names, one a line.
    .addOption(new Option('--names', 'print only role names').hideHelp())
    .addHelpText('after', HELP)
    .action((options: { json?: boolean; names?: boolean }) =>
      run({}, async (context) => (await import('./roles.js')).listRoles({ json: options.json === true, names: options.names === true }, context)),
    );
};
