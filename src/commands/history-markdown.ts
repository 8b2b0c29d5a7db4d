/**
 * `history --session <id> --format markdown`: a session as a document a person can read,
 * keep or paste (headings per message, settings as a list). The messages' own text is
 * written as it was: answers are usually markdown already.
 */
import type { SessionSummary, StoredMessage } from '../store/store.js';
import { formatTime } from '../ui/format.js';

const SPEAKER = { user: 'You', assistant: 'Assistant', system: 'System' } as const;

export function sessionAsMarkdown(session: SessionSummary, messages: readonly StoredMessage[], failed: ReadonlySet<number>): string {
  const facts = [
    `- Started: ${formatTime(session.createdAt)}`,
    `- Last activity: ${formatTime(session.updatedAt)}`,
    `- Messages: ${session.messageCount}`,
    ...(session.model !== undefined ? [`- Model: ${session.model}`] : []),
    ...(session.temperature !== undefined ? [`- Temperature: ${session.temperature}`] : []),
    ...(session.owner !== undefined ? [`- Started by: ${session.owner}`] : []),
  ];
  const parts = [`# Session ${session.id}`, facts.join('\n')];
  if (session.system !== undefined) parts.push(quote(`System: ${session.system}`));
  for (const message of messages) {
    parts.push(`## ${messageHeading(message, failed.has(message.id))}`);
    parts.push(message.content.trim() === '' ? '*(no text)*' : message.content.replace(/\s+$/u, ''));
  }
  return `${parts.join('\n\n')}\n`;
}

function messageHeading(message: StoredMessage, failed: boolean): string {
  const details = [formatTime(message.createdAt, { seconds: true })];
  if (message.role === 'assistant' && message.model) details.push(message.model);
  if (message.cached) details.push('cached');
  if (message.status !== 'complete') details.push(message.status);
  if (failed) details.push('failed: not answered');
  return `${SPEAKER[message.role]} · ${details.join(' · ')}`;
}

/** A blockquote, every line of it (a multi-line system prompt stays inside the quote). */
function quote(text: string): string {
  return text.replace(/\s+$/u, '').split('\n').map((line) => `> ${line}`).join('\n');
}
