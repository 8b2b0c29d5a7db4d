/**
 * The exchange's order of work against a real SQLite store: the question is stored before
 * anything else, and only what is still there after that is sent as context.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import type { ChatEvent, ChatModel, ChatRequest } from '../../src/chat/chat-model.js';
import { runExchange } from '../../src/conversation/exchange.js';
import { openSqliteDatabase } from '../../src/store/dialects/sqlite.js';
import { SqlStore } from '../../src/store/sql-store.js';
import type { NewMessage, StoredMessage } from '../../src/store/store.js';

/** A chat model that answers "ok" and keeps every request it was sent. */
class RecordingChatModel implements ChatModel {
  readonly baseURL = 'http://recording.invalid/v1';
  readonly requests: ChatRequest[] = [];
  async *generate(request: ChatRequest): AsyncIterable<ChatEvent> {
    this.requests.push(request);
    yield { type: 'text', text: 'ok' };
    yield { type: 'finish', model: request.model, usage: undefined, finishReason: 'stop', requestId: undefined };
  }
}

/** A store on which another process deletes the session just before the next question is stored. */
class DeletedJustBefore extends SqlStore {
  deleteBeforeNextQuestion = false;
  override async appendMessage(message: NewMessage): Promise<StoredMessage> {
    if (this.deleteBeforeNextQuestion && message.role === 'user') {
      this.deleteBeforeNextQuestion = false;
      await this.deleteSession(message.sessionId);
    }
    return super.appendMessage(message);
  }
}

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'assistant-exchange-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('runExchange', () => {
  it('never sends as context what was deleted while the question was on its way', async () => {
    const store = await DeletedJustBefore.open(openSqliteDatabase(join(directory, 'store.db')));
    const chatModel = new RecordingChatModel();
    const cache = new ResponseCache(store, { enabled: true, maxBytes: 1e6, ttlSeconds: undefined });
    const ask = (userText: string): ReturnType<typeof runExchange> =>
      runExchange({ store, chatModel, cache }, { sessionId: 's', userText, model: 'm', stream: true, contextBudgetTokens: 16_000, answerCache: 'off' });
    await ask('a secret the person then deleted');
    store.deleteBeforeNextQuestion = true;
    await ask('a fresh start');
    expect(chatModel.requests[1]!.messages).toEqual([{ role: 'user', content: 'a fresh start' }]);
    expect((await store.messages('s')).map((message) => message.content)).toEqual(['a fresh start', 'ok']);
    await store.close();
  });
});
