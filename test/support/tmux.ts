/**
 * A real terminal for CLI tests: the CLI runs in a tmux pane (its own tmux server, on a
 * socket in the temp home), keys and pastes are sent as a person would send them, and the
 * screen is read back as the person sees it. Everything the program writes to the terminal
 * is also kept, byte for byte (pipe-pane), for what the screen cannot show (mode switches).
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, type TempHome } from './cli.js';

const run = promisify(execFile);

/**
 * True (with a warning) when tmux is not installed, so these tests skip on a machine
 * without it; in CI (ASSISTANT_REQUIRE_AUDIO, which also installs tmux) a missing tmux is an error.
 */
export function tmuxMissing(file: string): boolean {
  if (spawnSync('tmux', ['-V']).status === 0) return false;
  if (process.env.ASSISTANT_REQUIRE_AUDIO) throw new Error('tmux is required in CI (apt install tmux)');
  console.warn(`[${file}] skipped: tmux is not installed (apt install tmux)`);
  return true;
}

const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;

let started = 0;

export class TmuxTerminal {
  private pastes = 0;
  private readonly socket: string;
  private readonly outputLog: string;

  private constructor(private readonly home: TempHome) {
    started += 1;
    this.socket = join(home.root, `tmux-${started}.socket`);
    this.outputLog = join(home.root, `terminal-output-${started}.log`);
  }

  /** Bytes the program wrote to the terminal, from its start. */
  get written(): string {
    return readFileSync(this.outputLog, 'latin1');
  }

  /**
   * Starts `assistant <args>` in a 100x30 pane. When it exits, the pane prints "[exit N]"
   * and runs `cat -v`, so what the terminal then sends (a paste, say) shows up visibly.
   */
  static async start(home: TempHome, args: string[], env: Record<string, string> = {}): Promise<TmuxTerminal> {
    const terminal = new TmuxTerminal(home);
    const environment = Object.entries(home.environment(env)).map(([key, value]) => `${key}=${quote(value!)}`);
    const program = ['env', '-i', ...environment, 'TERM=tmux-256color', quote(process.execPath), quote(BIN), ...args.map(quote)].join(' ');
    // The program waits for one Enter, so the output log is attached before it writes anything.
    const command = `cd ${quote(home.root)}; read _; ${program}; echo "[exit $?]"; exec cat -v`;
    await terminal.tmux('-f', '/dev/null', 'new-session', '-d', '-x', '100', '-y', '30', '-s', 'test', command);
    await terminal.tmux('pipe-pane', '-O', '-t', 'test', `cat > ${quote(terminal.outputLog)}`);
    await terminal.tmux('send-keys', '-t', 'test', 'Enter');
    return terminal;
  }

  /** The screen as text: wrapped lines joined, trailing blanks dropped; the first line is the empty `read`. */
  async screen(): Promise<string> {
    const { stdout } = await this.tmux('capture-pane', '-p', '-J', '-t', 'test');
    return stdout.split('\n').map((line) => line.trimEnd()).join('\n').replace(/^\n/, '').trimEnd();
  }

  /** Resolves with the screen once it matches; the wait is for what appears, bounded only as a failure. */
  async waitFor(pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
    const start = Date.now();
    for (;;) {
      const screen = await this.screen();
      if (typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen)) return screen;
      if (Date.now() - start > timeoutMs) throw new Error(`screen never showed ${String(pattern)}; it shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Resolves once the program has written `text` to the terminal (the log can trail the screen a little). */
  async waitForWritten(text: string, timeoutMs = 15_000): Promise<string> {
    const start = Date.now();
    for (;;) {
      const written = this.written;
      if (written.includes(text)) return written;
      if (Date.now() - start > timeoutMs) throw new Error(`the program never wrote ${JSON.stringify(text)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Types text, character by character as keys. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'test', '-l', text);
  }

  /** Presses keys by tmux name: Enter, Escape, Up, C-c, C-d. */
  async press(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', 'test', ...keys);
  }

  /** Pastes text as a terminal does: bracketed when the program asked for it, line breaks sent as CR. */
  async paste(text: string): Promise<void> {
    this.pastes += 1;
    const file = `${this.outputLog}.paste-${this.pastes}.txt`;
    writeFileSync(file, text);
    await this.tmux('load-buffer', '-b', 'paste', file);
    await this.tmux('paste-buffer', '-p', '-d', '-b', 'paste', '-t', 'test');
  }

  /** The program's process id (the pane's shell runs it as its only child). */
  async programPid(): Promise<number> {
    const { stdout: shell } = await this.tmux('display-message', '-p', '-t', 'test', '#{pane_pid}');
    const { stdout: children } = await run('pgrep', ['-P', shell.trim()]);
    return Number(children.trim().split('\n')[0]);
  }

  async resize(columns: number, rows: number): Promise<void> {
    await this.tmux('resize-window', '-t', 'test', '-x', String(columns), '-y', String(rows));
  }

  async close(): Promise<void> {
    await this.tmux('kill-server').catch(() => {});
  }

  private tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-S', this.socket, ...args], { env: { PATH: process.env.PATH, HOME: this.home.root } });
  }
}
