/**
 * The command-line program: the top-level program, the table of commands (each defined
 * beside its command, in src/commands/*.command.ts), and the one place that builds the real
 * dependencies (config, terminal, store, chat model) and catches errors.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { examples, type CommandDefinition, type CommandRunner } from './commands/definition.js';
import { loadConfig } from './config.js';
import { AssistantError, ExitCode } from './errors.js';
import { buildContext, type ProcessHooks } from './real-dependencies.js';
import { scrub, secretsOf } from './secrets.js';
import { Terminal, type OutputStream } from './ui/terminal.js';

export interface ProcessIO extends ProcessHooks {
  argv: string[];
  stdout: OutputStream;
  stderr: OutputStream;
}

/**
 * The commands, in the order `assistant --help` lists them. A definition is loaded when it is
 * needed: running one command needs only its own (a cached `ask` stays fast).
 */
const COMMANDS: Record<string, () => Promise<CommandDefinition>> = {
  ask: async () => (await import('./commands/ask.command.js')).defineAsk,
  talk: async () => (await import('./commands/talk.command.js')).defineTalk,
  chat: async () => (await import('./commands/chat.command.js')).defineChat,
  history: async () => (await import('./commands/history.command.js')).defineHistory,
  cache: async () => (await import('./commands/cache.command.js')).defineCache,
  stats: async () => (await import('./commands/stats.command.js')).defineStats,
  log: async () => (await import('./commands/log.command.js')).defineLog,
  db: async () => (await import('./commands/db.command.js')).defineDb,
  token: async () => (await import('./commands/token.command.js')).defineToken,
  config: async () => (await import('./commands/config.command.js')).defineConfig,
  doctor: async () => (await import('./commands/doctor.command.js')).defineDoctor,
  serve: async () => (await import('./commands/serve.command.js')).defineServe,
  say: async () => (await import('./commands/say.command.js')).defineSay,
  transcribe: async () => (await import('./commands/transcribe.command.js')).defineTranscribe,
  roles: async () => (await import('./commands/roles.command.js')).defineRoles,
  completion: async () => (await import('./commands/completion.command.js')).defineCompletion,
};

/** Commands that read the whole table (their scripts are generated from every definition). */
const NEEDS_EVERY_DEFINITION = new Set(['completion']);

/**
 * The definitions a command line needs: when its first word names a command, that one;
 * anything else (help, a global option, a mistyped name to suggest from) needs them all.
 */
function definitionsFor(argv: readonly string[]): Promise<CommandDefinition[]> {
  const named = argv[2];
  const one = named !== undefined && Object.hasOwn(COMMANDS, named) && !NEEDS_EVERY_DEFINITION.has(named);
  const chosen = one ? [COMMANDS[named]!] : Object.values(COMMANDS);
  return Promise.all(chosen.map((load) => load()));
}

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

function buildProgram(definitions: readonly CommandDefinition[], run: CommandRunner, terminal: Terminal): Command {
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
    .addHelpText(
      'after',
      examples(
        ['assistant ask "hello"', 'cat notes.md | assistant ask "summarize"', 'assistant talk', 'assistant chat', 'assistant history'],
        `Data: $XDG_DATA_HOME/assistant/assistant.db (~/.local/share/assistant/assistant.db), or DATABASE_URL.
Exit codes: ${ExitCode.Success} ok, ${ExitCode.Failure} failure, ${ExitCode.Usage} usage error, ${ExitCode.LimitReached} rate or spend limit reached, ${ExitCode.Interrupted} interrupted (Ctrl-C),
${ExitCode.HangUp}/${ExitCode.Terminated}/${ExitCode.Quit} ended by SIGHUP/SIGTERM/SIGQUIT (what arrived is kept).`,
      ),
    );
  for (const define of definitions) define(program, run);
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
    await buildProgram(await definitionsFor(io.argv), run, terminal).parseAsync(io.argv);
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
