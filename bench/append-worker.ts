/** One writer process for parallel-writers.ts: appends turns (question and answer) to the shared session. */
import { openStore } from '../src/store/open-store.js';

const [path, worker, turns] = process.argv.slice(2);
const store = await openStore({ kind: 'sqlite', path: path! });
for (let turn = 0; turn < Number(turns); turn += 1) {
  await store.appendMessage({ sessionId: 'shared', role: 'user', content: `worker ${worker} question ${turn}` });
  await store.appendMessage({ sessionId: 'shared', role: 'assistant', content: `worker ${worker} answer ${turn}` });
}
await store.close();
