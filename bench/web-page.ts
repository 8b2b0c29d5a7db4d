/**
 * The web page's time to first audio, in Debian's Chromium with a fake microphone playing an
 * espeak-ng question once, against a real `assistant serve` with the local OpenAI-compatible
 * server upstream on time-to-first-audio.ts's delays; talk's pipeline measured on the same
 * server in the same run. The page's clock starts where the words end in the microphone's
 * WAV and stops at the <audio> element's first `playing` event.
 * Run by bench/run.ts (`npm run bench -- --only web`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/open-store.js';
import { launchBrowser, spokenWav } from '../test/browser/browser.js';
import { createToken as newToken, startServe } from '../test/support/serve-process.js';
import { TempHome } from '../test/support/cli.js';
import { FakeOpenAIServer } from '../test/support/openai-server.js';
import { ms, summary, table } from './stats.js';
import { DELAYS, REPLIES, measureOnce } from './time-to-first-audio.js';

/** The worklet hands audio over in 40 ms chunks: the first one arrives that long after the file began. */
const FIRST_CHUNK_MS = 40;

interface PageTiming {
  /** From the end of the words in the WAV to the first `playing` event. */
  fromEndOfSpeech: number;
  /** From the transcription upload's start to the first `playing` event. */
  fromUpload: number;
}

export async function webPageTimeToFirstAudio(runs: number): Promise<string> {
  const server = await new FakeOpenAIServer().start();
  const home = await TempHome.create(server.url);
  const wav = spokenWav('What is the capital of France?');
  const browser = await launchBrowser(wav.path);
  const serve = await startServe(home);
  const directory = mkdtempSync(join(tmpdir(), 'assistant-bench-web-'));
  const store = await openStore({ kind: 'sqlite', path: join(directory, 'talk.db') });
  const rows: string[][] = [];
  try {
    const token = await newToken(home, 'bench');
    for (const [name, reply] of Object.entries(REPLIES)) {
      const page: PageTiming[] = [];
      const talk: number[] = [];
      for (let run = 0; run < runs; run += 1) {
        page.push(await measurePage(browser, serve.base, token, server, reply, wav.speechEndMilliseconds));
        talk.push((await measureOnce(server, store, reply)).pipelined);
      }
      const fromSpeech = summary(page.map((timing) => timing.fromEndOfSpeech));
      const fromUpload = summary(page.map((timing) => timing.fromUpload));
      const talkSummary = summary(talk);
      rows.push([
        name,
        `${ms(fromSpeech.median)} (${ms(fromSpeech.min)} – ${ms(fromSpeech.max)})`,
        `${ms(fromUpload.median)} (${ms(fromUpload.min)} – ${ms(fromUpload.max)})`,
        `${ms(talkSummary.median)} (${ms(talkSummary.min)} – ${ms(talkSummary.max)})`,
      ]);
    }
  } finally {
    await browser.close();
    await serve.stop();
    await store.close();
    await server.close();
    await home.remove();
    wav.remove();
    rmSync(directory, { recursive: true, force: true });
  }
  return [
    `Server delays as in section 1: transcription ${DELAYS.transcriptionMs} ms, first token ${DELAYS.firstTokenMs} ms, ${DELAYS.tokenMs} ms per token, speech first byte ${DELAYS.speechFirstByteMs} ms. ` +
      'The page in headless Chromium 150 (hands-free mode, a fake microphone playing an espeak-ng question once), against `assistant serve` on SQLite. ' +
      "From the end of speech: from where the words end in the microphone's WAV (placed from the page's first microphone chunk, about ±50 ms) to the page's <audio> `playing` event; " +
      "this includes the detector's 700 ms of trailing silence, which talk waits too. From the upload: from the start of the transcription upload (the browser's resource timing). " +
      "talk: section 1's pipelined time on the same server in the same run, from its transcription request to the first audio bytes reaching the player (so comparable with the page's 'from the upload').",
    '',
    table(['reply', `page, from end of speech, median (min – max) of ${runs}`, 'page, from the upload', 'talk, from its transcription request'], rows),
  ].join('\n');
}

async function measurePage(browser: Awaited<ReturnType<typeof launchBrowser>>, base: string, token: string, server: FakeOpenAIServer, reply: string, speechEnd: number): Promise<PageTiming> {
  server.defaultReply = { text: reply, delayMs: DELAYS.firstTokenMs, chunkDelayMs: DELAYS.tokenMs };
  server.defaultTranscript = { text: 'What is the capital of France?', delayMs: DELAYS.transcriptionMs };
  server.defaultSpeech = { delayMs: DELAYS.speechFirstByteMs };
  // A new context opens the microphone anew: the WAV plays from its start.
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript({ content: "document.addEventListener('playing', () => { window.firstPlaying ??= performance.now(); }, true);" });
    await page.goto(base);
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.getByLabel('Hands-free').check();
    // A function, not a string: the page's CSP forbids eval.
    await page.waitForFunction(() => (globalThis as { firstPlaying?: number }).firstPlaying !== undefined, undefined, { timeout: 30_000 });
    const [playing, microphone, upload] = await page.evaluate<[number, number, number]>(
      "[window.firstPlaying, performance.getEntriesByName('assistant:microphone-start')[0].startTime, performance.getEntriesByType('resource').find((entry) => entry.name.endsWith('/v1/audio/transcriptions')).startTime]",
    );
    return { fromEndOfSpeech: playing - (microphone - FIRST_CHUNK_MS + speechEnd), fromUpload: playing - upload };
  } finally {
    await context.close();
  }
}
