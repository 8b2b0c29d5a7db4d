/** `assistant chat`: its options and help. The command is the text-only talk loop (chat() in talk.ts). */
import { addModelOptions, addSessionOptions, modelFlags, sessionChoice, type ModelOptionValues, type SessionOptionValues } from './conversation-options.js';
import { examples, type CommandDefinition } from './definition.js';

interface ChatOptionValues extends SessionOptionValues, ModelOptionValues {
  cache?: boolean;
  raw?: boolean;
}

const EXAMPLES = examples(
  [
    'assistant chat                         type a message, read the answer, type again',
    'assistant chat -c                      continue the last session',
    'assistant chat -s work --system "answer briefly" -m gpt-4o',
    'cat questions.txt | assistant chat     piped: one message per line',
  ],
  `On a terminal: line editing, Up for earlier questions of the session, and a paste of several
lines is sent as one message with its line breaks and indentation. While it answers, Enter or
Esc (or Ctrl-C) stops the answer and returns to the prompt; Ctrl-C twice quickly exits at once.
Ctrl-D (or Ctrl-C on an empty prompt) ends the session.`,
);

export const defineChat: CommandDefinition = (program, run) => {
  const command = program.command('chat').description('a typed conversation in the terminal: the text-only loop (talk --text --mute)');
  addSessionOptions(command);
  addModelOptions(command);
  command
    .option('--cache', 'answer from the cache when a question was answered before (by default only with -t 0)')
    .option('--no-cache', 'neither read nor write any cache')
    .option('--raw', 'print answers as the model wrote them; on a terminal their markdown is drawn otherwise')
    .addHelpText('after', EXAMPLES)
    .action((options: ChatOptionValues) =>
      run(modelFlags(options), async (context) => (await import('./talk.js')).chat({ ...sessionChoice(options), cache: options.cache, raw: options.raw === true }, context)),
    );
};
