/**
 * What every command receives. Built for real in src/cli.ts; tests build their own.
 * Expensive parts (the store, the SDK) are opened on first use only.
 */
import type { Player } from '../audio/player.js';
import type { Recorder } from '../audio/recorder.js';
import type { ChatModel } from '../chat/chat-model.js';
import type { ResolvedConfig } from '../config.js';
import type { RequestLog } from '../observability/request-log.js';
import type { SpendGuard } from '../observability/spend-guard.js';
import type { InputStream } from '../input/prompt-input.js';
import type { Synthesizer, Transcriber } from '../speech/speech-models.js';
import type { StoreLocation } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import type { Terminal } from '../ui/terminal.js';
import type { EndingSignal } from '../errors.js';

export interface CommandContext {
  config: ResolvedConfig;
  terminal: Terminal;
  stdin: InputStream;
  /** The working directory, against which relative paths are resolved. */
  cwd: string;
  openStore(): Promise<Store>;
  /** The audit trail of model calls (written to the store). */
  requestLog: RequestLog;
  /** The rate and spend limits over a store; --wait waits for room instead of failing. */
  spendGuard(store: Store, wait: boolean): SpendGuard;
  /** Another store than the configured one (db copy); the caller closes it. */
  openStoreAt(location: StoreLocation): Promise<Store>;
  chatModel(): ChatModel;
  transcriber(): Transcriber;
  synthesizer(): Synthesizer;
  /**
   * Throws a clear error when the configured player is not installed. `withoutSpeech` is the
   * command's own advice for going on without audio ("leave out --speak", "use --mute").
   */
  player(withoutSpeech: string): Player;
  recorder(): Recorder & { checkAvailable(): void };
  /**
   * Calls `handler` on the first Ctrl-C (SIGINT) until the returned function is called;
   * a second Ctrl-C exits at once with code 130.
   */
  onInterrupt(handler: () => void): () => void;
  /** Raw signal subscription, for commands that manage Ctrl-C themselves (talk). */
  onSignal(signal: 'SIGINT' | EndingSignal, listener: () => void): () => void;
  /** Stdout failed (EPIPE when the reader went away, ENOSPC...); without a listener a closed pipe exits 0. */
  onOutputError(listener: (error: NodeJS.ErrnoException) => void): () => void;
  /** Who runs this ("user@host"), recorded on new sessions; `--continue` picks this owner's latest. */
  owner: string;
  /** Ends the process at once (after synchronous cleanup hooks). */
  exit(code: number): never;
}
