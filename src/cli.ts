/**
 * The command-line program: the top-level program, the table of commands (each defined
 * beside its command, in src/commands/*.command.ts), and the one place that builds the real
 * dependencies (config, terminal, store, chat model) and catches errors.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { defineAsk } from './commands/ask.command.js';
import { defineCache } from './commands/cache.command.js';
import { defineChat } from './commands/chat.command.js';
import { defineConfig } from './commands/config.command.js';
import { defineDb } from './commands/db.command.js';
import { examples, type CommandDefinition, type CommandRunner } from './commands/definition.js';
import { defineHistory } from './commands/history.command.js';
import { defineLog } from './commands/log.command.js';
import { defineStats } from './commands/stats.command.js';
import { defineTalk } from './commands/talk.command.js';
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

/** The commands, in the order `assistant --help` lists them. */
const COMMANDS: readonly CommandDefinition[] = [defineAsk, defineTalk, defineChat, defineHistory, defineCache, defineStats, defineLog, defineDb, defineConfig];

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
    .addHelpText(
      'after',
      examples(
        ['assistant ask "hello"', 'cat notes.md | assistant ask "summarize"', 'assistant talk', 'assistant chat', 'assistant history'],
        `Data: $XDG_DATA_HOME/assistant/assistant.db (~/.local/share/assistant/assistant.db), or DATABASE_URL.
Exit codes: ${ExitCode.Success} ok, ${ExitCode.Failure} failure, ${ExitCode.Usage} usage error, ${ExitCode.LimitReached} rate or spend limit reached, ${ExitCode.Interrupted} interrupted (Ctrl-C),
${ExitCode.HangUp}/${ExitCode.Terminated}/${ExitCode.Quit} ended by SIGHUP/SIGTERM/SIGQUIT (what arrived is kept).`,
      ),
    );
  for (const define of COMMANDS) define(program, run);
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
