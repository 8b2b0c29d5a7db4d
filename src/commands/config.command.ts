/** `assistant config`: its options and help. The command itself is showConfig() in config.ts. */
import { examples, type CommandDefinition } from './definition.js';

interface ConfigOptionValues {
  json?: boolean;
}

const HELP = `
Settings come from, lowest first: defaults, the config file ($XDG_CONFIG_HOME/assistant/config.json),
.env in the current directory, the environment, then command-line flags.
${examples(['assistant config', 'OPENAI_BASE_URL=http://localhost:11434/v1 assistant config --json'])}`;

export const defineConfig: CommandDefinition = (program, run) => {
  program
    .command('config')
    .description('print the effective configuration and where each value came from (secrets redacted)')
    .option('--json', 'print JSON')
    .addHelpText('after', HELP)
    .action((options: ConfigOptionValues) => run({}, async (context) => (await import('./config.js')).showConfig({ json: options.json === true }, context)));
};
