/**
 * The usual set-up of a CLI test file: one local OpenAI-compatible server for the file,
 * reset before each test, and a fresh temp home (and store) per test.
 *
 *   let server: FakeOpenAIServer;
 *   let home: TempHome;
 *   useCliHarness((current) => ({ server, home } = current));
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { TempHome } from './cli.js';
import { FakeOpenAIServer } from './openai-server.js';

export function useCliHarness(receive: (current: { server: FakeOpenAIServer; home: TempHome }) => void): void {
  let server: FakeOpenAIServer;
  let home: TempHome | undefined;
  beforeAll(async () => {
    server = await new FakeOpenAIServer().start();
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    server.reset();
    home = await TempHome.create(server.url);
    receive({ server, home });
  });
  afterEach(() => home?.remove());
}
