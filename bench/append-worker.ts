/** One writer process for parallel-writers.ts: appends turns (question and answer) to the shared session. */
import { SqliteStore } from '../src/store/sqlite-store.js';

const [path, worker, turns] = process.argv.slice(2);
const store = new SqliteStore(path!);
for (let turn = 0; turn < Number(turns); turn += 1) {
  await store.appendMessage({ sessionId: 'shared', role: 'user', content: `worker ${worker} question ${turn}` });
  await store.appendMessage({ sessionId: 'shared', role: 'assistant', content: `worker ${worker} answer ${turn}` });
}
await store.close();
