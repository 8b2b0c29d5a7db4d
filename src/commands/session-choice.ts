/** Which session a command continues (--session, --continue, or a new one), and how it talks. */
import type { ResolvedConfig } from '../config.js';
import { usageError } from '../errors.js';
import { newSessionId, validateSessionId } from '../session-id.js';
import type { SessionStore, SessionSummary } from '../store/store.js';
import type { Terminal } from '../ui/terminal.js';

export interface SessionFlags {
  session?: string | undefined;
  continue?: boolean | undefined;
}

/** The settings a turn is asked with. */
export interface ConversationSettings {
  model: string;
  system: string | undefined;
  temperature: number | undefined;
}

export interface ChosenSession {
  id: string;
  /** Undefined for a new session. */
  existing: SessionSummary | undefined;
  settings: ConversationSettings;
}

/** Checks the flags before anything is opened or read. */
export function validateSessionFlags(flags: SessionFlags): void {
  if (flags.session !== undefined && flags.continue) throw usageError('Use either --session <id> or --continue, not both.');
  if (flags.session !== undefined) validateSessionId(flags.session);
}

/**
 * `--continue` takes the latest session of `owner` ("user@host"), so on a shared store it
 * never continues someone else's conversation.
 */
export async function chooseSession(flags: SessionFlags, store: SessionStore, terminal: Terminal, owner: string, config: ResolvedConfig): Promise<ChosenSession> {
  let id: string | undefined = flags.session;
  if (id === undefined && flags.continue) {
    id = await store.latestSessionId(owner);
    if (id === undefined) terminal.note('No earlier session of yours to continue; starting a new one.');
  }
  const existing = id === undefined ? undefined : await store.getSession(id);
  return { id: id ?? newSessionId(), existing, settings: sessionSettings(config, existing) };
}

/**
 * A continued session keeps the system prompt, model and temperature it was started with
 * (or last changed to); a flag overrides them. For a new session, the configuration decides.
 */
export function sessionSettings(config: ResolvedConfig, existing: SessionSummary | undefined): ConversationSettings {
  const { values, sources } = config;
  // A role chosen for this command is given again as much as a flag is.
  const fromFlag = (key: 'model' | 'system' | 'temperature'): boolean => sources[key].kind === 'flag' || sources[key].kind === 'role';
  if (!existing || existing.model === undefined) return { model: values.model, system: values.system, temperature: values.temperature };
  return {
    model: fromFlag('model') ? values.model : existing.model,
    system: fromFlag('system') ? values.system : existing.system,
    temperature: fromFlag('temperature') ? values.temperature : existing.temperature,
  };
}
