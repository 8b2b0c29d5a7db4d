/** `assistant stats`: its options and help. The command itself is stats() in stats.ts. */
import { examples, type CommandDefinition } from './definition.js';

interface StatsOptionValues {
  since: string;
  session?: string;
  model?: string;
  token?: string;
  json?: boolean;
}

const EXAMPLES = examples(
  [
    'assistant stats                        the last 7 days',
    'assistant stats --since 24h --model gpt-4o-mini',
    'assistant stats --session work --json',
  ],
  `Averages over 3 s and an error rate over 1% are shown in red. Costs use the list prices in
src/observability/prices.ts (dated); set "prices" in the config file for other models.`,
);

export const defineStats: CommandDefinition = (program, run) => {
  program
    .command('stats')
    .description('latency per stage, errors, cache hit rates, tokens and cost, CPU and memory, database size')
    .option('--since <window>', '24h, 7d, 30d or all', '7d')
    .option('-s, --session <id>', 'only this session')
    .option('-m, --model <name>', 'only this model')
    .option('--token <name>', 'only the calls made for this personal token (assistant serve)')
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES)
    .action((options: StatsOptionValues) =>
      run({}, async (context) =>
        (await import('./stats.js')).stats(
          {
            since: options.since,
            ...(options.session ? { session: options.session } : {}),
            ...(options.model ? { model: options.model } : {}),
            ...(options.token ? { token: options.token } : {}),
            json: options.json === true,
          },
          context,
        ),
      ),
    );
};
