/** `assistant token create | list | revoke`: their options and help. The commands are in token.ts. */
import { examples, type CommandDefinition } from './definition.js';

interface CreateOptionValues {
  name: string;
  requestsPerMinute?: string;
  tokensPerDay?: string;
}

const NOTES = `A token is for one person; assistant serve asks for it on every request ("Authorization: Bearer <token>").
Only a hash of it is stored (in the store DATABASE_URL names: the server's), so it cannot be shown again.`;

export const defineToken: CommandDefinition = (program, run) => {
  const token = program
    .command('token')
    .description('personal tokens for assistant serve: create, list, revoke')
    .addHelpText('after', examples(['assistant token create --name alice', 'assistant token list', 'assistant token revoke alice'], NOTES));
  token
    .command('create')
    .description('create a token and print it, once (stdout holds only the token)')
    .requiredOption('--name <name>', 'who it is for: 1 to 64 letters, digits, dots, dashes or underscores; unique')
    .option('--requests-per-minute <n>', 'at most n requests a minute (default: no limit)')
    .option('--tokens-per-day <n>', 'at most n model tokens (in and out) a day (default: no limit)')
    .addHelpText(
      'after',
      examples([
        'assistant token create --name alice',
        'assistant token create --name bob --requests-per-minute 30 --tokens-per-day 200000',
        'DATABASE_URL=postgres://admin@db.example/assistant assistant token create --name carol',
      ], 'Create tokens in the store the server uses (DATABASE_URL). Then, from anywhere:\n  OPENAI_BASE_URL=https://assistant.example/v1 OPENAI_API_KEY=<token> assistant ask "hello"'),
    )
    .action((options: CreateOptionValues) =>
      run({}, async (context) =>
        (await import('./token.js')).tokenCreate({ name: options.name, requestsPerMinute: options.requestsPerMinute, tokensPerDay: options.tokensPerDay }, context),
      ),
    );
  token
    .command('list')
    .description('every token: name, created, last used, revoked, limits (never the token itself)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples(['assistant token list', "assistant token list --json | jq '.[] | select(.revokedAt == null) | .name'"]))
    .action((options: { json?: boolean }) => run({}, async (context) => (await import('./token.js')).tokenList({ json: options.json === true }, context)));
  token
    .command('revoke')
    .description('refuse a token from the next request on, on every server sharing the store')
    .argument('<name>', 'the name it was created with')
    .addHelpText('after', examples(['assistant token revoke alice']))
    .action((name: string) => run({}, async (context) => (await import('./token.js')).tokenRevoke(name, context)));
};
