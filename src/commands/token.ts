/**
 * `assistant token create | list | revoke`: the personal tokens people use against
 * `assistant serve`. The secret is printed once, on stdout alone, and only its hash is stored.
 */
import { AssistantError, ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import type { TokenRecord } from '../store/store.js';
import { hashTokenSecret, newTokenSecret } from '../tokens/token-secret.js';
import { formatTable, formatTime } from '../ui/format.js';
import type { CommandContext } from './context.js';

export interface TokenCreateOptions {
  name: string;
  /** As typed: validated here. */
  requestsPerMinute?: string | undefined;
  tokensPerDay?: string | undefined;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** requests_per_minute is a 32-bit INTEGER on PostgreSQL. */
const MOST_REQUESTS_PER_MINUTE = 2_147_483_647;

export async function tokenCreate(options: TokenCreateOptions, context: CommandContext): Promise<ExitCodeValue> {
  if (!NAME.test(options.name)) {
    throw usageError(`--name must be 1 to 64 letters, digits, dots, dashes or underscores (got ${JSON.stringify(options.name)}).`);
  }
  const requestsPerMinute = positiveLimit('--requests-per-minute', options.requestsPerMinute, MOST_REQUESTS_PER_MINUTE);
  const tokensPerDay = positiveLimit('--tokens-per-day', options.tokensPerDay, Number.MAX_SAFE_INTEGER);
  const secret = newTokenSecret();
  // Whatever goes wrong from here, stderr never shows it.
  context.terminal.secrets = [...context.terminal.secrets, secret];
  const store = await context.openStore();
  const token = await store.createToken({ name: options.name, hash: hashTokenSecret(secret), requestsPerMinute, tokensPerDay });
  context.terminal.line(secret);
  context.terminal.note(
    `Created the token "${token.name}" (${limitsOf(token)}). It is shown this once only: keep it now.
Send it as "Authorization: Bearer <token>" to assistant serve, or use it as OPENAI_API_KEY with OPENAI_BASE_URL set to the server's /v1.`,
  );
  return ExitCode.Success;
}

export async function tokenList(options: { json: boolean }, context: CommandContext): Promise<ExitCodeValue> {
  const tokens = await (await context.openStore()).listTokens();
  const { terminal } = context;
  if (options.json) {
    const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;
    terminal.json(
      tokens.map((token) => ({
        id: token.id, name: token.name, createdAt: iso(token.createdAt), lastUsedAt: iso(token.lastUsedAt), revokedAt: iso(token.revokedAt),
        requestsPerMinute: token.requestsPerMinute ?? null, tokensPerDay: token.tokensPerDay ?? null,
      })),
    );
    return ExitCode.Success;
  }
  if (tokens.length === 0) {
    terminal.note('No tokens yet. Create one with: assistant token create --name <name>');
    return ExitCode.Success;
  }
  const shown = (date: Date | undefined): string => (date === undefined ? '-' : formatTime(date));
  const rows = tokens.map((token) => [
    token.name, shown(token.createdAt), shown(token.lastUsedAt), shown(token.revokedAt), String(token.requestsPerMinute ?? '-'), String(token.tokensPerDay ?? '-'),
  ]);
  terminal.line(formatTable(['NAME', 'CREATED', 'LAST USED', 'REVOKED', 'REQUESTS/MIN', 'TOKENS/DAY'], rows, new Set([4, 5])));
  return ExitCode.Success;
}

export async function tokenRevoke(name: string, context: CommandContext): Promise<ExitCodeValue> {
  const store = await context.openStore();
  if (!(await store.revokeToken(name))) {
    throw new AssistantError(`No token named ${JSON.stringify(name)}. List tokens with: assistant token list`);
  }
  context.terminal.note(`Revoked the token "${name}": servers refuse it from their next request on.`);
  return ExitCode.Success;
}

/** A limit as typed: undefined when not given; otherwise a whole number from 1 to `maximum`, or a usage error. */
function positiveLimit(flag: string, typed: string | undefined, maximum: number): number | undefined {
  if (typed === undefined) return undefined;
  const value = /^\d+$/.test(typed.trim()) ? Number(typed.trim()) : Number.NaN;
  if (!(value >= 1 && value <= maximum)) throw usageError(`${flag} must be a whole number from 1 to ${maximum} (got ${JSON.stringify(typed)}).`);
  return value;
}

function limitsOf(token: TokenRecord): string {
  const requests = token.requestsPerMinute === undefined ? 'no request limit' : `at most ${token.requestsPerMinute} requests a minute`;
  const tokens = token.tokensPerDay === undefined ? 'no token limit' : `at most ${token.tokensPerDay} tokens a day`;
  return `${requests}, ${tokens}`;
}
