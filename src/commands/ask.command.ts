/** `assistant ask`: its arguments, options and help. The command itself is ask.ts. */
import {
  addModelOptions,
  addSessionOptions,
  addSpeechEngineOptions,
  modelFlags,
  sessionChoice,
  speechEngineFlags,
  type ModelOptionValues,
  type SessionOptionValues,
  type SpeechEngineOptionValues,
} from './conversation-options.js';
import { examples, type CommandDefinition } from './definition.js';

interface AskOptionValues extends SessionOptionValues, ModelOptionValues, SpeechEngineOptionValues {
  cache?: boolean;
  retry?: boolean;
  stream: boolean;
  json?: boolean;
  speak?: boolean;
  audio?: string;
  player?: string;
  voice?: string;
  maxInput?: string;
  wait?: boolean;
  raw?: boolean;
}

const EXAMPLES = examples([
  'assistant ask "What is the capital of France?"',
  'git diff | assistant ask "review this"',
  'echo "hello" | assistant ask',
  'assistant ask --session work "remember: the build is on Fridays"',
  'assistant ask -c "and when is the release?"',
  'assistant ask --json --model gpt-4o "one word for happy" | jq -r .answer',
  'assistant ask --speak "tell me a short joke"',
  'assistant ask --audio memo.wav "summarize this voice memo"',
  'assistant ask -- what does -c do        after --, words that look like flags are part of the question',
]);

export const defineAsk: CommandDefinition = (program, run) => {
  const command = program
    .command('ask')
    .description('ask one question; the answer streams to stdout (piped stdin comes first, then the text)')
    .argument('[text...]', 'the question or instruction');
  addSessionOptions(command);
  addModelOptions(command);
  command
    .option('--cache', 'answer from the cache when this exact question was answered before (by default only with -t 0)')
    .option('--no-cache', 'neither read nor write any cache (answers, speech, transcriptions)')
    .option('--retry', "send the session's last question again when it failed (with -c or --session)")
    .option('--no-stream', 'wait for the whole answer instead of streaming it')
    .option('--json', 'print one JSON object: session, answer, model, usage, cached, status')
    .option('--raw', 'print the answer as the model wrote it; on a terminal its markdown is drawn otherwise (never when piped)')
    .option('--speak', 'also speak the answer, sentence by sentence, as it arrives')
    .option('--audio <file>', 'transcribe an audio file (- for stdin) and ask it; the text is the instruction')
    .option('--player <command>', 'audio player for --speak (env ASSISTANT_PLAYER, default play)')
    .option('--voice <name>', 'voice for --speak (env ASSISTANT_VOICE, default alloy)');
  addSpeechEngineOptions(command);
  command
    .option('--max-input <size>', 'largest question, e.g. 500k or 2MB (env ASSISTANT_MAX_INPUT, default 1MB)')
    .option('--wait', 'when a rate or spend limit is reached, wait for room instead of failing (exit 3)')
    .addHelpText('after', EXAMPLES)
    .action((text: string[], options: AskOptionValues) =>
      run({ ...modelFlags(options), ...speechEngineFlags(options), player: options.player, voice: options.voice, maxInputBytes: options.maxInput }, async (context) =>
        (await import('./ask.js')).ask(
          {
            text,
            ...sessionChoice(options),
            cache: options.cache,
            retry: options.retry === true,
            stream: options.stream,
            json: options.json === true,
            speak: options.speak === true,
            wait: options.wait === true,
            raw: options.raw === true,
            ...(options.audio !== undefined ? { audio: options.audio } : {}),
          },
          context,
        ),
      ),
    );
};
