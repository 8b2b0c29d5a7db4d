/** What the tests ask about processes by pid, from /proc (Linux). */
import { readFileSync } from 'node:fs';

/** Running, not a zombie: a container without an init process leaves an orphan's exit unreaped. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state ...": the command may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
