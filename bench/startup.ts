/**
 * Start-up: wall time of whole processes, side by side in one run: bare node, `--help`, an
 * answer from the cache, a cache miss against a server with no delay, and a minimal script
 * using the openai SDK against the same server. With ASSISTANT_BENCH_BASELINE=<another
 * checkout's bin/assistant.js>, that build's --help and cached answer run in the same rounds
 * (each build with its own home), so a change's start-up cost is measured side by side.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeOpenAIServer } from '../test/support/openai-server.js';
import { ms, summary, table } from './stats.js';

const BIN = resolve(import.meta.dirname, '../bin/assistant.js');

export async function startup(runs: number): Promise<string> {
  const server = await new FakeOpenAIServer().start();
  const home = mkdtempSync(join(tmpdir(), 'assistant-bench-'));
  const minimal = join(home, 'minimal.mjs');
  writeFileSync(
    minimal,
    `import OpenAI from '${resolve(import.meta.dirname, '../node_modules/openai/index.mjs')}';
const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: 'bench' });
const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: process.argv[2] }] });
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
process.stdout.write('\\n');
`,
  );
  const environment = (root: string): NodeJS.ProcessEnv => ({
    ...process.env, HOME: root, XDG_DATA_HOME: join(root, 'data'), XDG_CONFIG_HOME: join(root, 'config'), OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'bench',
  });
  const env = environment(home);
  const baseline = process.env.ASSISTANT_BENCH_BASELINE;
  const baselineEnv = environment(join(home, 'baseline'));
  // Asynchronous, so the in-process test server keeps answering while a child runs.
  const time = (args: string[], childEnv = env): Promise<number> =>
    new Promise((resolvePromise, reject) => {
      const start = performance.now();
      const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let errors = '';
      child.stderr.on('data', (chunk) => (errors += chunk));
      child.on('close', (code) => (code === 0 ? resolvePromise(performance.now() - start) : reject(new Error(`${args.join(' ')} failed: ${errors}`))));
    });
  await time([BIN, 'ask', '--cache', 'cached question']);
  if (baseline) await time([baseline, 'ask', '--cache', 'cached question'], baselineEnv);
  const cases: Array<[string, () => Promise<number>]> = [
    ['node -e 0', () => time(['-e', '0'])],
    ['assistant --help', () => time([BIN, '--help'])],
    ['assistant ask (cache hit)', () => time([BIN, 'ask', '--cache', 'cached question'])],
    ['assistant ask (cache miss, no server delay)', () => time([BIN, 'ask', '--no-cache', 'fresh question'])],
    ['minimal openai SDK script, same server', () => time([minimal, 'fresh question'])],
    ...(baseline
      ? ([
          ['baseline build: assistant --help', () => time([baseline, '--help'], baselineEnv)],
          ['baseline build: assistant ask (cache hit)', () => time([baseline, 'ask', '--cache', 'cached question'], baselineEnv)],
        ] as Array<[string, () => Promise<number>]>)
      : []),
  ];
  const results = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  // Interleaved rounds, so machine noise falls on every case alike.
  for (let round = 0; round < runs; round += 1) for (const [name, run] of cases) results.get(name)!.push(await run());
  await server.close();
  rmSync(home, { recursive: true, force: true });

  const node = summary(results.get('node -e 0')!).median;
  const sdk = summary(results.get('minimal openai SDK script, same server')!).median;
  const rows = [...results].map(([name, values]) => {
    const s = summary(values);
    return [name, ms(s.median), `${ms(s.min)} – ${ms(s.max)}`, `${(s.median / node).toFixed(2)}x`, `${(s.median / sdk).toFixed(2)}x`];
  });
  const cached = summary(results.get('assistant ask (cache hit)')!).median / node;
  const miss = summary(results.get('assistant ask (cache miss, no server delay)')!).median / sdk;
  const compared = baseline
    ? `\n\nCached answer, this build vs the baseline build (${baseline}): ${ms(summary(results.get('assistant ask (cache hit)')!).median - summary(results.get('baseline build: assistant ask (cache hit)')!).median)} median difference.`
    : '';
  return [
    table(['command', 'median', 'min – max', 'vs node -e 0', 'vs minimal SDK script'], rows),
    '',
    `Targets: a cached answer within 2.5x of bare node: **${cached.toFixed(2)}x (${cached <= 2.5 ? 'met' : 'missed'})**; ` +
      `a cache-miss ask within 1.3x of the minimal SDK script: **${miss.toFixed(2)}x (${miss <= 1.3 ? 'met' : 'missed'})**. ${runs} interleaved runs each.` + compared,
  ].join('\n');
}
