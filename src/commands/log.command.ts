/** `assistant log`: its options and help. The command itself is log() in stats.ts. */
import { examples, type CommandDefinition } from './definition.js';

interface LogOptionValues {
  limit: number;
  errors?: boolean;
  json?: boolean;
  token?: string;
}

const EXAMPLES = examples([
  'assistant log                          the last 20 calls',
  'assistant log --errors --limit 50',
  "assistant log --json | jq '.[] | select(.status == 429)'",
  'assistant log --token alice            what the server called upstream for alice',
]);

export const defineLog: CommandDefinition = (program, run) => {
  program
    .command('log')
    .description('the request log: every call to a model endpoint, newest first (no content, no keys)')
    .option('-n, --limit <n>', 'how many', Number, 20)
    .option('--errors', 'only failed requests (not the ones you stopped yourself)')
    .option('--token <name>', 'only the calls made for this personal token (assistant serve)')
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES)
    .action((options: LogOptionValues) =>
      run({}, async (context) => (await import('./stats.js')).log(
          { limit: options.limit, errors: options.errors === true, json: options.json === true, ...(options.token ? { token: options.token } : {}) },
          context,
        ),
      ),
    );
};
