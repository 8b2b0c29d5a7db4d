/**
 * `npm run bench`: every benchmark against the local OpenAI-compatible server, side by side
 * in one run, written to BENCHMARKS.md. `npm run bench -- --quick` runs a smaller set.
 * `--only <words>` runs the matching sections and prints them. Benchmarks report; they never fail on a number.
 */
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FakeOpenAIServer } from '../test/support/openai-server.js';
import { openStore } from '../src/store/open-store.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endOfSpeech } from './end-of-speech.js';
import { speechDetectors } from './speech-detectors.js';
import { turnEndWindows } from './turn-end-windows.js';
import { historyScale } from './history-scale.js';
import { cacheScale } from './cache-scale.js';
import { memory, voiceMemory } from './memory.js';
import { startSoundCard } from '../test/support/sound-card.js';
import { parallelWriters } from './parallel-writers.js';
import { startup } from './startup.js';
import { serveLoad } from './serve-load.js';
import { webPageTimeToFirstAudio } from './web-page.js';
import { DELAYS, REPLIES, measureOnce, type Measurement } from './time-to-first-audio.js';
import { turnTaking } from './turn-taking.js';
import { ms, summary, table } from './stats.js';

const quick = process.argv.includes('--quick');
/** `--only start-up`: just the benchmarks whose title holds these words, printed instead of written to BENCHMARKS.md. */
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex === -1 ? undefined : process.argv[onlyIndex + 1]?.toLowerCase();
const sections: string[] = [];
const log = (text: string): void => void process.stderr.write(`${text}\n`);

async function timeToFirstAudio(runs: number): Promise<string> {
  const server = await new FakeOpenAIServer().start();
  const directory = mkdtempSync(join(tmpdir(), 'assistant-bench-ttfa-'));
  const store = await openStore({ kind: 'sqlite', path: join(directory, 'ttfa.db') });
  const rows: string[][] = [];
  const verdicts: string[] = [];
  let fromEndOfSpeech: string;
  try {
    for (const [name, reply] of Object.entries(REPLIES)) {
      const results: Measurement[] = [];
      for (let run = 0; run < runs; run += 1) results.push(await measureOnce(server, store, reply));
      const pipelined = summary(results.map((result) => result.pipelined));
      const sequential = summary(results.map((result) => result.sequential));
      const floor = results[0]!.floor;
      const overhead = pipelined.median - floor;
      const ratio = sequential.median / pipelined.median;
      rows.push([name, `${ms(pipelined.median)} (${ms(pipelined.min)} – ${ms(pipelined.max)})`, `${ms(sequential.median)} (${ms(sequential.min)} – ${ms(sequential.max)})`, `${ratio.toFixed(2)}x`, ms(floor), ms(overhead)]);
      verdicts.push(`${name}: overhead ${ms(overhead)} (target under 50 ms: **${overhead < 50 ? 'met' : 'missed'}**)` + (name.startsWith('five') ? `; ${ratio.toFixed(2)}x faster than sequential (target 3x: **${ratio >= 3 ? 'met' : 'missed'}**)` : ''));
    }
    fromEndOfSpeech = await turnTaking(server, store, REPLIES, runs);
  } finally {
    await store.close();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
  return [
    `Server delays: transcription ${DELAYS.transcriptionMs} ms, first token ${DELAYS.firstTokenMs} ms, ${DELAYS.tokenMs} ms per token, speech first byte ${DELAYS.speechFirstByteMs} ms. ` +
      'From the end of speech (the transcription request) to the first audio bytes reaching the player. Baseline: a sequential pipeline (transcribe, wait for the whole reply, synthesize all of it, then play) in the same run. ' +
      "The local server's speech latency does not grow with the text's length, which flatters the sequential baseline.",
    '',
    table(['reply', `pipelined, median (min – max) of ${runs}`, 'sequential', 'speed-up', 'floor', 'overhead over floor'], rows),
    '',
    verdicts.join('\n\n'),
    '',
    '### From the end of speech: speculation, word-aware end, first clause clip',
    '',
    fromEndOfSpeech,
  ].join('\n');
}

const benchmarks: Array<[string, () => Promise<string> | string]> = [
  ['1. Time to first audio', () => timeToFirstAudio(quick ? 3 : 7)],
  ['2. End-of-speech detection delay', () => endOfSpeech()],
  ['3. Start-up', () => startup(quick ? 5 : 15)],
  ['4. History at scale', () => historyScale(quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000], quick ? 10 : 30)],
  ['5. Parallel writers', () => parallelWriters(8, quick ? 25 : 100)],
  [
    '6. Memory',
    async () => {
      const card = startSoundCard();
      const voice = card.ok ? await voiceMemory(quick ? 8 : 50) : `Voice session not measured: ${card.reason}.`;
      return `${await memory(quick ? 20 : 50)}\n\n${voice}`;
    },
  ],
  ['7. assistant serve under load', () => serveLoad(quick ? [1, 10, 50] : [1, 10, 50, 200], (clients) => Math.max(quick ? 10 : 20, (quick ? 2 : 4) * clients))],
  ['8. Speech detectors', async () => `${await speechDetectors()}\n\n### Word-aware turn end: the two windows\n\n${await turnEndWindows()}`],
  ['9. Web page: time to first audio', () => webPageTimeToFirstAudio(quick ? 3 : 7)],
  ['10. Response cache at scale', () => cacheScale([10_000, 100_000], quick ? 40 : 200)],
];

for (const [title, run] of benchmarks) {
  if (only !== undefined && !title.toLowerCase().includes(only)) continue;
  log(`${title}…`);
  const started = performance.now();
  sections.push(`## ${title}\n\n${await run()}\n\n_(took ${ms(performance.now() - started)})_`);
}

// Gaps to the targets, said plainly at the top.
const missed = sections.flatMap((section) => section.split('\n').filter((line) => line.includes('**missed**') || line.includes('**It still grows')));
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
const document = [
  '# Benchmarks',
  '',
  `Measured by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${machine}. ` +
    'Shared, noisy machines: compare numbers within this one run, not across runs. Everything talks to the local OpenAI-compatible test server.',
  '',
  '## Gaps to the targets',
  '',
  ...(missed.length === 0 ? ['Every target was met in this run.'] : missed.map((line) => `- ${line.replace(/^\|\s*/, '')}`)),
  '',
  ...sections,
  '',
].join('\n');
if (only === undefined) {
  writeFileSync(resolve(import.meta.dirname, '../BENCHMARKS.md'), document);
  log('Wrote BENCHMARKS.md');
} else {
  process.stdout.write(document);
}
