/**
 * A client-side limit on requests per minute and tokens per day, shared by every
 * `assistant` process through the store's request log, so a script looping over a thousand
 * files cannot run away with the bill. Off unless configured. Checked just before a model
 * call (cache hits are free); two processes checking at the same instant may both pass.
 */
import { AssistantError, ExitCode } from '../errors.js';
import type { RequestTotals } from '../store/store.js';

export interface Limits {
  maxRequestsPerMinute: number | undefined;
  maxTokensPerDay: number | undefined;
}

export class SpendGuard {
  constructor(
    private readonly store: RequestTotals,
    private readonly limits: Limits,
    private readonly options: {
      wait: boolean;
      onWait?: (reason: string) => void;
      /** Brings this process's own pending log rows into the store before counting. */
      beforeCount?: () => Promise<void>;
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  get active(): boolean {
    return this.limits.maxRequestsPerMinute !== undefined || this.limits.maxTokensPerDay !== undefined;
  }

  /** Resolves when a request may go; throws (exit 3) when a limit is reached, unless waiting. */
  async beforeModelCall(signal?: AbortSignal): Promise<void> {
    if (!this.active) return;
    const now = this.options.now ?? Date.now;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let waited = false; ; waited = true) {
      await this.options.beforeCount?.();
      const reason = await this.overLimit(now());
      if (reason === undefined) return;
      if (!this.options.wait) {
        throw new AssistantError(`${reason} Try again later, pass --wait to wait for room, or raise the limit.`, { exitCode: ExitCode.LimitReached });
      }
      if (!waited) this.options.onWait?.(`${reason} Waiting…`);
      if (signal?.aborted) throw new AssistantError('Stopped while waiting for the rate limit.', { exitCode: ExitCode.Interrupted });
      await sleep(1000);
    }
  }

  private async overLimit(now: number): Promise<string | undefined> {
    const { maxRequestsPerMinute, maxTokensPerDay } = this.limits;
    if (maxRequestsPerMinute !== undefined) {
      const { requests } = await this.store.requestTotals(now - 60_000);
      if (requests >= maxRequestsPerMinute) return `The limit of ${maxRequestsPerMinute} requests per minute (ASSISTANT_MAX_REQUESTS_PER_MINUTE) is reached.`;
    }
    if (maxTokensPerDay !== undefined) {
      const { tokens } = await this.store.requestTotals(now - 86_400_000);
      if (tokens >= maxTokensPerDay) return `The limit of ${maxTokensPerDay} tokens per day (ASSISTANT_MAX_TOKENS_PER_DAY) is reached: ${tokens} used in the last 24 hours.`;
    }
    return undefined;
  }
}
