/** Which session a command continues: --session, --continue, or a new one. */
import { usageError } from '../errors.js';
import { newSessionId, validateSessionId } from '../session-id.js';
import type { Store } from '../store/store.js';
import type { Terminal } from '../ui/terminal.js';

export interface SessionFlags {
  session?: string | undefined;
  continue?: boolean | undefined;
}

/** Checks the flags before anything is opened or read. */
export function validateSessionFlags(flags: SessionFlags): void {
  if (flags.session !== undefined && flags.continue) throw usageError('Use either --session <id> or --continue, not both.');
  if (flags.session !== undefined) validateSessionId(flags.session);
}

export async function chooseSession(flags: SessionFlags, store: Store, terminal: Terminal): Promise<string> {
  if (flags.session !== undefined) return flags.session;
  if (flags.continue) {
    const latest = await store.latestSessionId();
    if (latest !== undefined) return latest;
    terminal.note('No earlier session to continue; starting a new one.');
  }
  return newSessionId();
}
