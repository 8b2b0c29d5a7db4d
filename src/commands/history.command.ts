/** `assistant history`: its options and help. The command itself is history.ts. */
import { Option } from 'commander';
import { examples, type CommandDefinition } from './definition.js';

interface HistoryOptionValues {
  session?: string;
  search?: string;
  delete?: string;
  yes?: boolean;
  limit?: number;
  json?: boolean;
  format?: string;
  last?: boolean;
  ids?: boolean;
}

const EXAMPLES = examples([
  'assistant history                      the latest sessions',
  "assistant history --session work       one session's transcript",
  'assistant history --search "release"   messages that mention release',
  'assistant history --delete work        remove a session for good',
  'assistant history -s work --format markdown > work.md   a session as a document',
  'assistant history -s work --last       only the last answer (for scripts)',
]);

export const defineHistory: CommandDefinition = (program, run) => {
  program
    .command('history')
    .description('list sessions, show one, search or delete')
    .option('-s, --session <id>', 'show the whole transcript of a session')
    .option('--search <text>', 'full-text search over every message')
    .option('--delete <id>', 'delete a session, its messages and what it cached (answers, speech, transcriptions)')
    .option('-y, --yes', 'delete without asking (a terminal asks for confirmation)')
    .option('-n, --limit <n>', 'at most n sessions or search hits (default 20); with --session, the last n messages', Number)
    .option('--format <format>', 'with --session: text (default) or markdown, a readable document')
    .option('--last', "with --session: print only the last answer's text")
    .option('--json', 'print JSON')
    // For shell completion (assistant completion): session ids, newest first, one a line.
    .addOption(new Option('--ids', 'print only session ids').hideHelp())
    .addHelpText('after', EXAMPLES)
    .action((options: HistoryOptionValues) =>
      run({}, async (context) => (await import('./history.js')).history({ ...options, json: options.json === true, yes: options.yes === true }, context)),
    );
};
