/** `assistant db copy`: its options and help. The command itself is db.ts. */
import { examples, type CommandDefinition } from './definition.js';

interface CopyOptionValues {
  from: string;
  to: string;
  cache?: boolean;
  json?: boolean;
}

const EXAMPLES = examples(
  [
    'assistant db copy --from ~/.local/share/assistant/assistant.db --to postgres://me@db.example/assistant',
    'assistant db copy --from postgres://me@db.example/assistant --to backup.db --cache',
  ],
  'Copying twice adds nothing new: messages already in the target (same session, time, role and text) are skipped. Token usage counters (this minute, today) are not copied.',
);

export const defineDb: CommandDefinition = (program, run) => {
  const db = program.command('db').description('move history between stores (SQLite, PostgreSQL)').addHelpText('after', EXAMPLES);
  db.command('copy')
    .description("copy every session and message, serve's tokens (hashes only) and, with --cache, the cache, from one store to another")
    .requiredOption('--from <url-or-path>', 'the store to read: a SQLite path or URL, or postgres://…')
    .requiredOption('--to <url-or-path>', 'the store to write: a SQLite path or URL, or postgres://…')
    .option('--cache', 'copy the response cache too')
    .option('--json', 'print the counts as JSON')
    .addHelpText('after', EXAMPLES)
    .action((options: CopyOptionValues) =>
      run({}, async (context) =>
        (await import('./db.js')).copyDatabase({ from: options.from, to: options.to, cache: options.cache === true, json: options.json === true }, context),
      ),
    );
};
