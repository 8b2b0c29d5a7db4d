/** `assistant cache stats` and `assistant cache clear`: their options and help. The commands are in cache.ts. */
import { examples, type CommandDefinition } from './definition.js';

interface CacheOptionValues {
  json?: boolean;
}

export const defineCache: CommandDefinition = (program, run) => {
  const cache = program
    .command('cache')
    .description('the response cache: stats, clear')
    .addHelpText('after', examples(['assistant cache stats', 'assistant cache clear']));
  cache
    .command('stats')
    .description('entries, size and hits per kind (chat, speech, transcription)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples(['assistant cache stats', "assistant cache stats --json | jq '.total.bytes'"]))
    .action((options: CacheOptionValues) => run({}, async (context) => (await import('./cache.js')).cacheStats({ json: options.json === true }, context)));
  cache
    .command('clear')
    .description('remove every cache entry (history is kept)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples(['assistant cache clear', 'assistant cache clear --json']))
    .action((options: CacheOptionValues) => run({}, async (context) => (await import('./cache.js')).cacheClear({ json: options.json === true }, context)));
};
