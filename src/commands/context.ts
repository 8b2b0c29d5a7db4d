/**
 * What every command receives. Built for real in src/cli.ts; tests build their own.
 * Expensive parts (the store, the SDK) are opened on first use only.
 */
import type { ChatModel } from '../chat/chat-model.js';
import type { ResolvedConfig } from '../config.js';
import type { InputStream } from '../input/prompt-input.js';
import type { Store } from '../store/store.js';
import type { Terminal } from '../ui/terminal.js';

export interface CommandContext {
  config: ResolvedConfig;
  terminal: Terminal;
  stdin: InputStream;
  openStore(): Promise<Store>;
  chatModel(): ChatModel;
  /**
   * Calls `handler` on the first Ctrl-C (SIGINT) until the returned function is called;
   * a second Ctrl-C exits at once with code 130.
   */
  onInterrupt(handler: () => void): () => void;
}
