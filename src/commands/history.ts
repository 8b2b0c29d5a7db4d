/** `assistant history`: sessions, one session's transcript, search, delete. */
import { AssistantError, ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import { validateSessionId } from '../session-id.js';
import { SNIPPET_MARK_END, SNIPPET_MARK_START, type StoredMessage, type SessionStore } from '../store/store.js';
import { formatTable, formatTime } from '../ui/format.js';
import { joinMarkup, markup, type Markup, type Printable, type Terminal } from '../ui/terminal.js';
import type { CommandContext } from './context.js';
import { isFailedQuestion } from '../conversation/context-window.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { sessionAsMarkdown } from './history-markdown.js';

export interface HistoryOptions {
  session?: string;
  search?: string;
  delete?: string;
  limit?: number;
  json: boolean;
  /** With --session: text (default) or markdown, a document to keep. */
  format?: string;
  /** With --session: only the last answer's text, for scripts. */
  last?: boolean;
  /** Only session ids, newest first, one a line (shell completion reads them). */
  ids?: boolean;
  /** Delete without asking. */
  yes?: boolean;
}

const DEFAULT_LIMIT = 20;
/** Session ids offered by shell completion: enough to find one, few enough to stay fast. */
const COMPLETION_LIMIT = 500;

export async function history(options: HistoryOptions, context: CommandContext): Promise<ExitCodeValue> {
  const chosen = [options.session, options.search, options.delete].filter((value) => value !== undefined);
  if (chosen.length > 1) throw usageError('Use only one of --session, --search and --delete.');
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    throw usageError('--limit must be a whole number of at least 1.');
  }
  if (options.format !== undefined && options.format !== 'text' && options.format !== 'markdown') {
    throw usageError(`--format must be text or markdown (got "${options.format}"); for JSON use --json.`);
  }
  const transcriptOnly = options.last === true ? '--last' : options.format === 'markdown' ? '--format markdown' : undefined;
  if (transcriptOnly !== undefined && options.session === undefined) throw usageError(`${transcriptOnly} needs --session <id>.`);
  if (options.last === true && options.format === 'markdown') throw usageError('Use only one of --last and --format markdown.');
  const store = await context.openStore();
  if (options.delete !== undefined) return remove(validateSessionId(options.delete), options, store, context);
  if (options.session !== undefined) return transcript(validateSessionId(options.session), options, store, context.terminal);
  if (options.search !== undefined) return search(options.search, options, store, context.terminal);
  return list(options, store, context.terminal);
}

async function list(options: HistoryOptions, store: SessionStore, terminal: Terminal): Promise<ExitCodeValue> {
  if (options.ids === true) {
    const sessions = await store.listSessions({ limit: options.limit ?? COMPLETION_LIMIT });
    for (const session of sessions) terminal.line(session.id);
    return ExitCode.Success;
  }
  const sessions = await store.listSessions({ limit: options.limit ?? DEFAULT_LIMIT });
  if (options.json) {
    terminal.json(sessions.map((session) => ({ ...session, createdAt: session.createdAt.toISOString(), updatedAt: session.updatedAt.toISOString() })));
    return ExitCode.Success;
  }
  if (sessions.length === 0) {
    terminal.note('No sessions yet. Start one with: assistant ask "hello"');
    return ExitCode.Success;
  }
  const rows = sessions.map((session) => [session.id, formatTime(session.updatedAt), String(session.messageCount), session.preview]);
  terminal.line(formatTable(['SESSION', 'LAST ACTIVITY', 'MESSAGES', 'FIRST QUESTION'], rows, new Set([2])));
  return ExitCode.Success;
}

async function transcript(id: string, options: HistoryOptions, store: SessionStore, terminal: Terminal): Promise<ExitCodeValue> {
  const session = await store.getSession(id);
  if (!session) throw new AssistantError(`No session "${id}". List sessions with: assistant history`);
  const all = await store.messages(id);
  const failed = new Set(all.filter((_, index) => isFailedQuestion(all, index)).map((message) => message.id));
  if (options.last === true) return lastAnswer(id, all, options, terminal);
  const shown = options.limit === undefined ? all : all.slice(-options.limit);
  if (options.format === 'markdown' && !options.json) {
    terminal.write(sessionAsMarkdown(session, shown, failed));
    return ExitCode.Success;
  }
  if (options.json) {
    terminal.json(
      {
        session: { ...session, createdAt: session.createdAt.toISOString(), updatedAt: session.updatedAt.toISOString() },
        messages: shown.map((message) => ({ ...message, createdAt: message.createdAt.toISOString(), ...(message.role === 'user' ? { failed: failed.has(message.id) } : {}) })),
      },
    );
    return ExitCode.Success;
  }
  const style = terminal.answerStyle;
  const count = `${session.messageCount} message${session.messageCount === 1 ? '' : 's'}`;
  terminal.line(style.bold(`Session ${session.id} · ${count} · ${formatTime(session.createdAt)} to ${formatTime(session.updatedAt)}`));
  const settings = [
    session.model !== undefined ? `model ${session.model}` : undefined,
    session.temperature !== undefined ? `temperature ${session.temperature}` : undefined,
    session.owner !== undefined ? `started by ${session.owner}` : undefined,
  ].filter((part) => part !== undefined);
  if (settings.length > 0) terminal.line(style.dim(settings.join(' · ')));
  if (session.system !== undefined) terminal.line(style.dim(`System: ${session.system.replace(/\s+/gu, ' ')}`));
  for (const message of shown) {
    terminal.line();
    terminal.line(heading(message, failed.has(message.id), terminal));
    terminal.line(message.content === '' ? style.dim('(no text)') : message.content.replace(/\s+$/u, ''));
  }
  return ExitCode.Success;
}

/** The text of the session's last answer, alone on stdout (for `$(assistant history -s work --last)`). */
function lastAnswer(id: string, messages: readonly StoredMessage[], options: HistoryOptions, terminal: Terminal): ExitCodeValue {
  const answer = messages.findLast((message) => message.role === 'assistant');
  if (answer === undefined) throw new AssistantError(`Session "${id}" has no answer yet.`);
  if (options.json) terminal.json({ ...answer, createdAt: answer.createdAt.toISOString() });
  else if (answer.content.trim() !== '') terminal.line(answer.content.replace(/\s+$/u, ''));
  // A script must not take half an answer (or none) for the whole: what there is is printed, the exit code says so.
  if (answer.status !== 'complete') throw new AssistantError(`The last answer in session "${id}" did not complete (${answer.status}).`);
  return ExitCode.Success;
}

function heading(message: StoredMessage, failed: boolean, terminal: Terminal): Markup {
  const style = terminal.answerStyle;
  const name = { user: style.cyan.bold('You'), assistant: style.green.bold('Assistant'), system: style.magenta.bold('System') }[message.role];
  const details: Printable[] = [formatTime(message.createdAt, { seconds: true })];
  if (message.role === 'assistant' && message.model) details.push(message.model);
  if (message.cached) details.push('cached');
  if (message.status !== 'complete') details.push(style.yellow(message.status));
  if (failed) details.push(style.yellow('failed: not answered, not sent as context (ask --retry sends it again)'));
  return markup`${name} · ${joinMarkup(details, ' · ')}`;
}

async function search(query: string, options: HistoryOptions, store: SessionStore, terminal: Terminal): Promise<ExitCodeValue> {
  if (query.trim() === '') throw usageError('--search needs some text to look for.');
  const hits = await store.search(query, { limit: options.limit ?? DEFAULT_LIMIT });
  const plain = (snippet: string): string => snippet.replaceAll(SNIPPET_MARK_START, '').replaceAll(SNIPPET_MARK_END, '');
  if (options.json) {
    terminal.json(hits.map((hit) => ({ ...hit, createdAt: hit.createdAt.toISOString(), snippet: plain(hit.snippet) })));
    return ExitCode.Success;
  }
  if (hits.length === 0) {
    terminal.note(`Nothing found for ${JSON.stringify(query)}.`);
    return ExitCode.Success;
  }
  const style = terminal.answerStyle;
  // The store marks matched words; every other odd part of the split is one.
  const highlight = (snippet: string): Markup =>
    joinMarkup(snippet.replace(/\s+/gu, ' ').split(new RegExp(`${SNIPPET_MARK_START}(.*?)${SNIPPET_MARK_END}`, 'su')).map((part, index) => (index % 2 === 1 ? style.bold.yellow(part) : part.replaceAll(SNIPPET_MARK_START, '').replaceAll(SNIPPET_MARK_END, ''))), '');
  const rows = hits.map((hit) => [hit.sessionId, formatTime(hit.createdAt), hit.role === 'user' ? 'you' : hit.role, highlight(hit.snippet)]);
  terminal.line(formatTable(['SESSION', 'TIME', 'WHO', 'MATCH'], rows));
  return ExitCode.Success;
}

async function remove(id: string, options: HistoryOptions, store: SessionStore, context: CommandContext): Promise<ExitCodeValue> {
  const { terminal } = context;
  const session = await store.getSession(id);
  if (!session) throw new AssistantError(`No session "${id}". List sessions with: assistant history`);
  const interactive = context.stdin.isTTY === true && terminal.stderrIsTTY;
  if (!options.yes && interactive) {
    const messages = `${session.messageCount} message${session.messageCount === 1 ? '' : 's'}`;
    // readline writes the question itself: the preview is neutralised here, not by the terminal.
    const answer = await askLine(context, `Delete session ${id} (${messages}, "${sanitizeForTerminal(session.preview)}") for good? [y/N] `);
    if (answer === undefined || !/^y(es)?$/i.test(answer.trim())) {
      terminal.note('Nothing was deleted.');
      return answer === undefined ? ExitCode.Interrupted : ExitCode.Success;
    }
  }
  const removed = await store.deleteSession(id);
  if (removed === undefined) throw new AssistantError(`No session "${id}". List sessions with: assistant history`);
  if (options.json) terminal.json({ deleted: id, messages: removed });
  else terminal.note(`Deleted session ${id} (${removed} message${removed === 1 ? '' : 's'}, and what it cached).`);
  return ExitCode.Success;
}

/** One line typed on the terminal, after a question on stderr; empty when input ends (Ctrl-D), undefined on Ctrl-C. */
async function askLine(context: CommandContext, question: string): Promise<string | undefined> {
  const { createInterface } = await import('node:readline');
  const readline = createInterface({ input: context.stdin as NodeJS.ReadableStream, output: context.terminal.stderr as NodeJS.WritableStream, terminal: true });
  let answered = false;
  try {
    return await new Promise<string | undefined>((resolve) => {
      readline.question(question, (line) => {
        answered = true;
        resolve(line);
      });
      // The terminal's Ctrl-C reaches readline, not the process: it means no.
      readline.once('SIGINT', () => resolve(undefined));
      readline.once('close', () => resolve(''));
    });
  } finally {
    readline.close();
    // Ctrl-C or Ctrl-D leave the cursor on the question's line.
    if (!answered) context.terminal.stderr.write('\n');
  }
}
