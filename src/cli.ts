/**
 * The command-line program: commander definitions, and the one place that builds the
 * real dependencies (config, terminal, store, chat model) and catches errors.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { CommandContext } from './commands/context.js';

// Each command's module is loaded only when that command runs: `ask` never pays for `talk`.
const commands = {
  ask: () => import('./commands/ask.js'),
  talk: () => import('./commands/talk.js'),
  chat: () => import('./commands/talk.js'),
  history: () => import('./commands/history.js'),
  cache: () => import('./commands/cache.js'),
  stats: () => import('./commands/stats.js'),
  db: () => import('./commands/db.js'),
  config: () => import('./commands/config.js'),
};
import { loadConfig, type ConfigFlags } from './config.js';
import { AssistantError, ExitCode, type ExitCodeValue } from './errors.js';
import { buildContext, type ProcessHooks } from './real-dependencies.js';
import { scrub, secretsOf } from './secrets.js';
import { Terminal, type OutputStream } from './ui/terminal.js';

export interface ProcessIO extends ProcessHooks {
  argv: string[];
  stdout: OutputStream;
  stderr: OutputStream;
}

type CommandRunner = (flags: ConfigFlags, command: (context: CommandContext) => Promise<ExitCodeValue>) => Promise<void>;

const EXAMPLES = {
  ask: `
Examples:
  $ assistant ask "What is the capital of France?"
  $ git diff | assistant ask "review this"
  $ echo "hello" | assistant ask
  $ assistant ask --session work "remember: the build is on Fridays"
  $ assistant ask -c "and when is the release?"
  $ assistant ask --json --model gpt-4o "one word for happy" | jq -r .answer
  $ assistant ask --speak "tell me a short joke"
  $ assistant ask --audio memo.wav "summarize this voice memo"
  $ assistant ask -- what does -c do        after --, words that look like flags are part of the question`,
  talk: `
Examples:
  $ assistant talk                         speak; the answer is printed and spoken
  $ assistant talk -c                      continue the last session by voice
  $ assistant talk --text --mute           type instead of speaking, read instead of listening
  $ assistant talk --push-to-talk          Enter starts and stops recording
  $ assistant talk --device pulseaudio:my_mic --player paplay --verbose

While it answers: Space or Enter stops the answer and listens again (with --text: Enter or
Esc); Ctrl-C stops the answer; Ctrl-C twice quickly exits at once. While listening, Ctrl-C or
Ctrl-D ends the session. With --text on a terminal: line editing, Up for earlier questions,
and a paste of several lines is one message.
Needs SoX for the microphone (Debian/Ubuntu: sudo apt install sox libsox-fmt-all; macOS: brew install sox).`,
  chat: `
Examples:
  $ assistant chat                         type a message, read the answer, type again
  $ assistant chat -c                      continue the last session
  $ assistant chat -s work --system "answer briefly" -m gpt-4o
  $ cat questions.txt | assistant chat     piped: one message per line

On a terminal: line editing, Up for earlier questions of the session, and a paste of several
lines is sent as one message with its line breaks and indentation. While it answers, Enter or
Esc (or Ctrl-C) stops the answer and returns to the prompt; Ctrl-C twice quickly exits at once.
Ctrl-D (or Ctrl-C on an empty prompt) ends the session.`,
  history: `
Examples:
  $ assistant history                      the latest sessions
  $ assistant history --session work       one session's transcript
  $ assistant history --search "release"   messages that mention release
  $ assistant history --delete work        remove a session for good`,
  cache: `
Examples:
  $ assistant cache stats
  $ assistant cache clear`,
  stats: `
Examples:
  $ assistant stats                        the last 7 days
  $ assistant stats --since 24h --model gpt-4o-mini
  $ assistant stats --session work --json

Averages over 3 s and an error rate over 1% are shown in red. Costs use the list prices in
src/observability/prices.ts (dated); set "prices" in the config file for other models.`,
  log: `
Examples:
  $ assistant log                          the last 20 calls
  $ assistant log --errors --limit 50
  $ assistant log --json | jq '.[] | select(.status == 429)'`,
  db: `
Examples:
  $ assistant db copy --from ~/.local/share/assistant/assistant.db --to postgres://me@db.example/assistant
  $ assistant db copy --from postgres://me@db.example/assistant --to backup.db --cache

Copying twice adds nothing new: messages already in the target (same session, time, role and text) are skipped.`,
  config: `
Settings come from, lowest first: defaults, the config file ($XDG_CONFIG_HOME/assistant/config.json),
.env in the current directory, the environment, then command-line flags.

Examples:
  $ assistant config
  $ OPENAI_BASE_URL=http://localhost:11434/v1 assistant config --json`,
};

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

function buildProgram(run: CommandRunner, terminal: Terminal): Command {
  const program = new Command('assistant')
    .description('Talk to an AI model from your terminal: OpenAI or any OpenAI-compatible server (OPENAI_BASE_URL).')
    .version(version(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => terminal.write(text),
      writeErr: (text) => terminal.stderr.write(text),
      outputError: (text) => terminal.error(text.replace(/^error: /, '').trimEnd()),
    })
    .addHelpText('after', `
Examples:
  $ assistant ask "hello"
  $ cat notes.md | assistant ask "summarize"
  $ assistant talk
  $ assistant chat
  $ assistant history

Data: $XDG_DATA_HOME/assistant/assistant.db (~/.local/share/assistant/assistant.db), or DATABASE_URL.
Exit codes: 0 ok, 1 failure, 2 usage error, 3 rate or spend limit reached, 130 interrupted (Ctrl-C),
129/143/131 ended by SIGHUP/SIGTERM/SIGQUIT (what arrived is kept).`);

  program
    .command('ask')
    .description('ask one question; the answer streams to stdout (piped stdin comes first, then the text)')
    .argument('[text...]', 'the question or instruction')
    .option('-s, --session <id>', 'continue (or create) the named session')
    .option('-c, --continue', 'continue your most recent session (yours: this user@host, or ASSISTANT_OWNER)')
    .option('--system <text>', 'system prompt (env ASSISTANT_SYSTEM)')
    .option('-m, --model <name>', 'chat model (env ASSISTANT_MODEL, default gpt-4o-mini)')
    .option('-t, --temperature <n>', 'sampling temperature, 0 to 2 (default: the server\'s)')
    .option('--cache', 'answer from the cache when this exact question was answered before (by default only with -t 0)')
    .option('--no-cache', 'neither read nor write any cache (answers, speech, transcriptions)')
    .option('--retry', 'send the session\'s last question again when it failed (with -c or --session)')
    .option('--no-stream', 'wait for the whole answer instead of streaming it')
    .option('--json', 'print one JSON object: session, answer, model, usage, cached, status')
    .option('--speak', 'also speak the answer, sentence by sentence, as it arrives')
    .option('--audio <file>', 'transcribe an audio file (- for stdin) and ask it; the text is the instruction')
    .option('--player <command>', 'audio player for --speak (env ASSISTANT_PLAYER, default play)')
    .option('--voice <name>', 'voice for --speak (env ASSISTANT_VOICE, default alloy)')
    .option('--max-input <size>', 'largest question, e.g. 500k or 2MB (env ASSISTANT_MAX_INPUT, default 1MB)')
    .option('--wait', 'when a rate or spend limit is reached, wait for room instead of failing (exit 3)')
    .addHelpText('after', EXAMPLES.ask)
    .action((text: string[], options: { session?: string; continue?: boolean; system?: string; model?: string; temperature?: string; cache?: boolean; retry?: boolean; stream: boolean; json?: boolean; speak?: boolean; audio?: string; player?: string; voice?: string; maxInput?: string; wait?: boolean }) =>
      run(
        { model: options.model, system: options.system, temperature: options.temperature, player: options.player, voice: options.voice, maxInputBytes: options.maxInput },
        async (context) =>
          (await commands.ask()).ask(
            {
              text,
              ...(options.session !== undefined ? { session: options.session } : {}),
              continue: options.continue === true,
              cache: options.cache,
              retry: options.retry === true,
              stream: options.stream,
              json: options.json === true,
              speak: options.speak === true,
              wait: options.wait === true,
              ...(options.audio !== undefined ? { audio: options.audio } : {}),
            },
            context,
          ),
      ),
    );

  program
    .command('talk')
    .description('a spoken conversation: listen, transcribe, answer aloud while it is written, listen again')
    .option('-s, --session <id>', 'continue (or create) the named session')
    .option('-c, --continue', 'continue your most recent session (yours: this user@host, or ASSISTANT_OWNER)')
    .option('--text', 'type instead of speaking (no microphone needed); see also `assistant chat`')
    .option('--mute', 'print replies without speaking them')
    .option('--push-to-talk', 'press Enter to start and stop recording instead of automatic end of speech')
    .option('--barge-in', 'speaking interrupts the answer (use headphones, or it hears itself)')
    .option('--device <name>', 'microphone for SoX: driver:name (pulseaudio:mic) or an AUDIODEV name (env ASSISTANT_DEVICE); a file (wav:questions.wav) is answered utterance by utterance, and its end ends the session')
    .option('--player <command>', 'play (SoX), paplay, pacat, aplay, ffplay, or a file player such as afplay (env ASSISTANT_PLAYER)')
    .option('--voice <name>', 'text-to-speech voice (env ASSISTANT_VOICE, default alloy)')
    .option('--speed <n>', 'speaking speed, 0.25 to 4 (env ASSISTANT_SPEED, default 1)')
    .option('--stt-model <name>', 'speech-to-text model (env ASSISTANT_STT_MODEL, default gpt-4o-mini-transcribe)')
    .option('--tts-model <name>', 'text-to-speech model (env ASSISTANT_TTS_MODEL, default gpt-4o-mini-tts)')
    .option('--language <code>', 'language hint for transcription, e.g. en (env ASSISTANT_LANGUAGE)')
    .option('--silence <ms>', 'silence that ends your turn, in milliseconds (env ASSISTANT_SILENCE_MS, default 700)')
    .option('--system <text>', 'system prompt (env ASSISTANT_SYSTEM)')
    .option('-m, --model <name>', 'chat model (env ASSISTANT_MODEL, default gpt-4o-mini)')
    .option('-t, --temperature <n>', 'sampling temperature, 0 to 2')
    .option('--keep-audio <dir>', 'save each recorded utterance as a WAV file in dir')
    .option('--cache', 'answer from the cache when a question was answered before (by default only with -t 0)')
    .option('--no-cache', 'neither read nor write any cache (answers, speech, transcriptions)')
    .option('--verbose', 'print each turn\'s stage timings (transcript, first token, first audio...)')
    .addHelpText('after', EXAMPLES.talk)
    .action(
      (options: {
        session?: string; continue?: boolean; text?: boolean; mute?: boolean; pushToTalk?: boolean; bargeIn?: boolean;
        device?: string; player?: string; voice?: string; speed?: string; sttModel?: string; ttsModel?: string; language?: string;
        silence?: string; system?: string; model?: string; temperature?: string; keepAudio?: string; cache?: boolean; verbose?: boolean;
      }) =>
        run(
          {
            device: options.device, player: options.player, voice: options.voice, speed: options.speed, sttModel: options.sttModel,
            ttsModel: options.ttsModel, language: options.language, silenceMilliseconds: options.silence, system: options.system,
            model: options.model, temperature: options.temperature,
          },
          async (context) =>
            (await commands.talk()).talk(
              {
                ...(options.session !== undefined ? { session: options.session } : {}),
                continue: options.continue === true,
                text: options.text === true,
                mute: options.mute === true,
                pushToTalk: options.pushToTalk === true,
                bargeIn: options.bargeIn === true,
                ...(options.keepAudio !== undefined ? { keepAudio: options.keepAudio } : {}),
                verbose: options.verbose === true,
                cache: options.cache,
              },
              context,
            ),
        ),
    );

  program
    .command('chat')
    .description('a typed conversation in the terminal: the text-only loop (talk --text --mute)')
    .option('-s, --session <id>', 'continue (or create) the named session')
    .option('-c, --continue', 'continue your most recent session (yours: this user@host, or ASSISTANT_OWNER)')
    .option('--system <text>', 'system prompt (env ASSISTANT_SYSTEM)')
    .option('-m, --model <name>', 'chat model (env ASSISTANT_MODEL, default gpt-4o-mini)')
    .option('-t, --temperature <n>', 'sampling temperature, 0 to 2')
    .option('--cache', 'answer from the cache when a question was answered before (by default only with -t 0)')
    .option('--no-cache', 'neither read nor write any cache')
    .addHelpText('after', EXAMPLES.chat)
    .action((options: { session?: string; continue?: boolean; system?: string; model?: string; temperature?: string; cache?: boolean }) =>
      run({ system: options.system, model: options.model, temperature: options.temperature }, async (context) =>
        (await commands.chat()).chat(
          { ...(options.session !== undefined ? { session: options.session } : {}), continue: options.continue === true, cache: options.cache },
          context,
        ),
      ),
    );

  program
    .command('history')
    .description('list sessions, show one, search or delete')
    .option('-s, --session <id>', 'show the whole transcript of a session')
    .option('--search <text>', 'full-text search over every message')
    .option('--delete <id>', 'delete a session, its messages and what it cached (answers, speech, transcriptions)')
    .option('-y, --yes', 'delete without asking (a terminal asks for confirmation)')
    .option('-n, --limit <n>', 'at most n sessions or search hits (default 20); with --session, the last n messages', Number)
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES.history)
    .action((options: { session?: string; search?: string; delete?: string; limit?: number; json?: boolean; yes?: boolean }) =>
      run({}, async (context) => (await commands.history()).history({ ...options, json: options.json === true, yes: options.yes === true }, context)),
    );

  const cache = program.command('cache').description('the response cache: stats, clear').addHelpText('after', EXAMPLES.cache);
  cache
    .command('stats')
    .description('entries, size and hits per kind (chat, speech, transcription)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => run({}, async (context) => (await commands.cache()).cacheStats({ json: options.json === true }, context)));
  cache
    .command('clear')
    .description('remove every cache entry (history is kept)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => run({}, async (context) => (await commands.cache()).cacheClear({ json: options.json === true }, context)));

  program
    .command('stats')
    .description('latency per stage, errors, cache hit rates, tokens and cost, CPU and memory, database size')
    .option('--since <window>', '24h, 7d, 30d or all', '7d')
    .option('-s, --session <id>', 'only this session')
    .option('-m, --model <name>', 'only this model')
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES.stats)
    .action((options: { since: string; session?: string; model?: string; json?: boolean }) =>
      run({}, async (context) =>
        (await commands.stats()).stats(
          { since: options.since, ...(options.session ? { session: options.session } : {}), ...(options.model ? { model: options.model } : {}), json: options.json === true },
          context,
        ),
      ),
    );

  program
    .command('log')
    .description('the request log: every call to a model endpoint, newest first (no content, no keys)')
    .option('-n, --limit <n>', 'how many', Number, 20)
    .option('--errors', 'only failed requests (not the ones you stopped yourself)')
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES.log)
    .action((options: { limit: number; errors?: boolean; json?: boolean }) =>
      run({}, async (context) => (await commands.stats()).log({ limit: options.limit, errors: options.errors === true, json: options.json === true }, context)),
    );

  const db = program.command('db').description('move history between stores (SQLite, PostgreSQL)').addHelpText('after', EXAMPLES.db);
  db.command('copy')
    .description('copy every session and message (and, with --cache, the cache) from one store to another')
    .requiredOption('--from <url-or-path>', 'the store to read: a SQLite path or URL, or postgres://…')
    .requiredOption('--to <url-or-path>', 'the store to write: a SQLite path or URL, or postgres://…')
    .option('--cache', 'copy the response cache too')
    .option('--json', 'print the counts as JSON')
    .addHelpText('after', EXAMPLES.db)
    .action((options: { from: string; to: string; cache?: boolean; json?: boolean }) =>
      run({}, async (context) => (await commands.db()).copyDatabase({ from: options.from, to: options.to, cache: options.cache === true, json: options.json === true }, context)),
    );

  program
    .command('config')
    .description('print the effective configuration and where each value came from (secrets redacted)')
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES.config)
    .action((options: { json?: boolean }) => run({}, async (context) => (await commands.config()).showConfig({ json: options.json === true }, context)));

  return program;
}

export async function main(io: ProcessIO): Promise<number> {
  const terminal = new Terminal({ stdout: io.stdout, stderr: io.stderr, env: io.env });
  let secrets: string[] = [];
  let close: (() => Promise<void>) | undefined;
  let exitCode: number = ExitCode.Success;

  const run: CommandRunner = async (flags, command) => {
    const config = loadConfig({ env: io.env, cwd: io.cwd }, flags);
    secrets = secretsOf(config.values);
    terminal.secrets = secrets;
    for (const warning of config.warnings) terminal.warn(warning);
    const built = buildContext(config, terminal, io);
    close = built.close;
    exitCode = await command(built.context);
  };

  try {
    await buildProgram(run, terminal).parseAsync(io.argv);
  } catch (error) {
    exitCode = report(error, terminal, secrets, io.env);
  } finally {
    await close?.();
  }
  return exitCode;
}

function report(error: unknown, terminal: Terminal, secrets: string[], env: NodeJS.ProcessEnv): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help / version).
    return error.exitCode === 0 ? ExitCode.Success : ExitCode.Usage;
  }
  const debug = env.DEBUG !== undefined && env.DEBUG !== '' && env.DEBUG !== '0';
  if (error instanceof AssistantError) {
    terminal.error(scrub(error.message, secrets));
    if (debug && error.stack) terminal.detail(scrub(String(error.stack), secrets));
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  terminal.error(`${scrub(message, secrets)}${debug ? '' : ' (set DEBUG=1 for details)'}`);
  if (debug && error instanceof Error && error.stack) terminal.detail(scrub(error.stack, secrets));
  return ExitCode.Failure;
}
