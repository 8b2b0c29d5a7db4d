/** `assistant config`: its options and help. The commands are showConfig() in config.ts and config-file.ts (set, unset, edit). */
import { examples, type CommandDefinition } from './definition.js';

interface ConfigOptionValues {
  json?: boolean;
}

const HELP = `
Settings come from, lowest first: defaults, the config file ($XDG_CONFIG_HOME/assistant/config.json),
.env in the current directory, the environment, a role chosen with --role, then command-line flags.
${examples([
  'assistant config',
  'OPENAI_BASE_URL=http://localhost:11434/v1 assistant config --json',
  'assistant config set model gpt-4o',
  'assistant config set roles.reviewer.system "You review code tersely."',
  'assistant config edit',
])}`;

export const defineConfig: CommandDefinition = (program, run) => {
  const config = program
    .command('config')
    .description('print the effective configuration and where each value came from (secrets redacted); set, unset, edit')
    .option('--json', 'print JSON')
    .addHelpText('after', HELP)
    .action((options: ConfigOptionValues) => run({}, async (context) => (await import('./config.js')).showConfig({ json: options.json === true }, context)));
  config
    .command('set')
    .description('set a value in the config file, checked first (a setting, or roles.<name>.<system|model|voice|language>)')
    .argument('<key>', 'a setting as `assistant config` names it (model, voice, speed...), or roles.<name>.<field>')
    .argument('<value>', 'its value')
    .addHelpText('after', examples(['assistant config set voice nova', 'assistant config set roles.pirate.system "Answer like a pirate."']))
    .action((key: string, value: string) => run({}, async (context) => (await import('./config-file.js')).configSet(key, value, context)));
  config
    .command('unset')
    .description('remove a value from the config file (a setting, a role field, or a whole role: roles.<name>)')
    .argument('<key>', 'a setting, roles.<name>.<field> or roles.<name>')
    .addHelpText('after', examples(['assistant config unset voice', 'assistant config unset roles.pirate']))
    .action((key: string) => run({}, async (context) => (await import('./config-file.js')).configUnset(key, context)));
  config
    .command('edit')
    .description('open the config file in $VISUAL or $EDITOR, then check it')
    .addHelpText('after', examples(['assistant config edit', 'EDITOR=nano assistant config edit']))
    // The editor is the user's own choice from their environment, as every CLI that opens one reads it.
    .action(() => run({}, async (context) => (await import('./config-file.js')).configEdit(context, process.env)));
};
