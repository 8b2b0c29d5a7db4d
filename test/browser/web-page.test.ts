/**
 * The web page of `assistant serve` in a real browser (Debian's Chromium through
 * playwright-core) with a fake microphone playing an espeak-ng recording, against a real
 * `serve` process with the local OpenAI-compatible server upstream. What a person sees on the
 * page, what the server received, and what the store holds. Screenshots at phone and desktop
 * sizes, light and dark, land in test-output/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseWavHeader } from '../../src/audio/wav.js';
import { containsSpeech } from '../../src/audio/voice-activity.js';
import { PLANTED_KEY, type TempHome } from '../support/cli.js';
import { useCliHarness } from '../support/harness.js';
import { parseMultipart, type FakeOpenAIServer } from '../support/openai-server.js';
import { BROWSER_AVAILABLE, launchBrowser, spokenWav, type SpokenWav } from './browser.js';
import { createToken as newToken, startServe, type RunningServe } from '../support/serve-process.js';

const SCREENSHOTS = resolve(import.meta.dirname, '../../test-output/screenshots');

const REPLY = 'The capital of France is Paris. It sits on the river Seine.';
const SENTENCES = ['The capital of France is Paris.', 'It sits on the river Seine.'];

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

describe.skipIf(!BROWSER_AVAILABLE)('the web page in Chromium', () => {
  let wav: SpokenWav;
  let browser: Browser;
  let serve: RunningServe | undefined;
  let context: BrowserContext | undefined;
  const consoleLines: string[] = [];

  beforeAll(async () => {
    wav = spokenWav('What is the capital of France?');
    browser = await launchBrowser(wav.path);
  });
  afterAll(async () => {
    await browser?.close();
    wav?.remove();
  });
  afterEach(async () => {
    consoleLines.length = 0;
    await context?.close();
    context = undefined;
    const result = await serve?.stop();
    serve = undefined;
    expect(result?.code).toBe(0);
  });

  /** The page, open at the served URL, with `token` pasted (if given) and the sessions loaded. */
  async function openPage(token: string | undefined, { accepted = true } = {}): Promise<Page> {
    serve ??= await startServe(home);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('console', (message) => consoleLines.push(message.text()));
    page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
    // Every <audio> playback the page starts, in order: the page's own element reports it.
    // (Strings, because these run in the page: the tests' TypeScript has no DOM types.)
    await page.addInitScript({ content: "window.played = []; document.addEventListener('playing', (event) => window.played.push(event.target.currentSrc), true);" });
    await page.goto(serve.base);
    if (token !== undefined) {
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Use this token' }).click();
      if (accepted) await expect.poll(() => page.locator('#token-form').isHidden()).toBe(true);
    }
    return page;
  }

  const played = (page: Page): Promise<number> => page.evaluate<number>('window.played.length');

  it('a spoken turn in hands-free mode: one transcription upload, the answer streams in and is spoken sentence by sentence', async () => {
    const token = await newToken(home, 'alice');
    server.defaultTranscript = { text: 'What is the capital of France?' };
    server.defaultReply = { text: REPLY };
    const page = await openPage(token);
    await page.getByLabel('Hands-free').check();

    await expect.poll(() => page.locator('#transcript .assistant').textContent(), { timeout: 20_000 }).toContain(REPLY);
    await expect.poll(() => played(page), { timeout: 15_000 }).toBe(SENTENCES.length);

    await expect(page.locator('#transcript .user').textContent()).resolves.toContain('What is the capital of France?');
    expect(server.transcriptionRequests).toHaveLength(1);
    const upload = parseMultipart(server.transcriptionRequests[0]!)!;
    expect(upload.fields.model).toBe('gpt-4o-mini-transcribe');
    const header = parseWavHeader(upload.file)!;
    expect(header.format.sampleRate).toBe(16_000);
    // The detector cut the words out of the microphone's audio: there is speech in it.
    expect(containsSpeech(upload.file.subarray(header.dataOffset), 16_000)).toBe(true);
    // One speech request per sentence, in order; upstream sees the server's key, never the token.
    expect(server.speechRequests.map((request) => request.body.input)).toEqual(SENTENCES);
    for (const request of server.requests) expect(request.headers.authorization).toBe(`Bearer ${PLANTED_KEY}`);
    expect(await home.rows('SELECT role, content, status FROM messages ORDER BY id')).toEqual([
      { role: 'user', content: 'What is the capital of France?', status: 'complete' },
      { role: 'assistant', content: REPLY, status: 'complete' },
    ]);
    // The token is in this tab's session storage only: not in the URL, not in local storage, never logged.
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate<string>('JSON.stringify(localStorage)')).not.toContain(token);
    expect(await page.evaluate<string>("sessionStorage.getItem('assistant-token')")).toBe(token);
    expect(consoleLines.join('\n')).not.toContain(token);
  });

  it('hands-free barge-in: speaking over an answer stops its audio, and what was said becomes the next turn', async () => {
    const token = await newToken(home, 'alice');
    // The words start 3 s after the microphone opens: by then a typed answer is playing.
    const late = spokenWav('What is the capital of France?', { leadingSeconds: 3 });
    const lateBrowser = await launchBrowser(late.path);
    try {
      serve ??= await startServe(home);
      server.defaultTranscript = { text: 'What is the capital of France?' };
      server.defaultReply = { text: 'This answer is long enough to be interrupted.' };
      // 400 ms a character: the answer's audio lasts far longer than the test.
      server.defaultSpeech = { millisecondsPerCharacter: 400 };
      const page = await (await lateBrowser.newContext()).newPage();
      await page.addInitScript({ content: "window.audioEvents = []; for (const type of ['playing', 'pause', 'ended']) document.addEventListener(type, () => window.audioEvents.push(type), true);" });
      await page.goto(serve.base);
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.getByLabel('Hands-free').check();
      await page.getByLabel('Message').fill('tell me something long');
      await page.getByLabel('Message').press('Enter');
      await expect.poll(() => page.evaluate<string[]>('window.audioEvents'), { timeout: 10_000 }).toEqual(['playing']);

      // The detector hears the words start: the answer's audio is paused then, while the person is still speaking.
      await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toBe('Listening…');
      expect(await page.evaluate<string[]>('window.audioEvents')).toEqual(['playing', 'pause']);
      expect(server.transcriptionRequests).toHaveLength(0);

      await expect.poll(() => server.transcriptionRequests.length, { timeout: 20_000 }).toBe(1);
      await expect.poll(() => page.locator('#transcript .user').allTextContents()).toEqual(['You: tell me something long', 'You: What is the capital of France?']);
      // The first answer's audio was paused when the person spoke, never played to its end; then the next answer played.
      await expect.poll(() => page.evaluate<string[]>('window.audioEvents'), { timeout: 10_000 }).toEqual(['playing', 'pause', 'playing']);
      expect(server.chatRequests).toHaveLength(2);
    } finally {
      await lateBrowser.close();
      late.remove();
    }
  });

  it('holding the space bar records, releasing it sends one upload with the words in it', async () => {
    const token = await newToken(home, 'alice');
    server.defaultTranscript = { text: 'What is the capital of France?' };
    server.defaultReply = { text: REPLY };
    const page = await openPage(token);
    await page.locator('body').click({ position: { x: 600, y: 300 } });
    await page.keyboard.down(' ');
    await expect.poll(() => page.getByRole('button', { name: /Listening/ }).count()).toBe(1);
    // Held while the microphone plays the words through (the page's clock marks when its audio began).
    await page.waitForFunction(
      (until) => {
        const start = performance.getEntriesByName('assistant:microphone-start')[0];
        return start !== undefined && performance.now() - start.startTime > until;
      },
      wav.speechEndMilliseconds + 300,
      { timeout: 15_000 },
    );
    await page.keyboard.up(' ');

    await expect.poll(() => page.locator('#transcript .assistant').textContent(), { timeout: 15_000 }).toContain(REPLY);
    expect(server.transcriptionRequests).toHaveLength(1);
    const upload = parseMultipart(server.transcriptionRequests[0]!)!;
    expect(containsSpeech(upload.file.subarray(parseWavHeader(upload.file)!.dataOffset), 16_000)).toBe(true);
    await expect.poll(() => played(page), { timeout: 15_000 }).toBe(SENTENCES.length);
  });

  it('typing works; Escape stops a streaming answer, which is stored as interrupted', async () => {
    const token = await newToken(home, 'alice');
    server.defaultReply = { text: 'Hello there. How can I help?' };
    const page = await openPage(token);
    await page.getByLabel('Message').fill('hi');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => page.locator('#transcript .assistant').textContent()).toContain('Hello there. How can I help?');
    await expect.poll(() => played(page)).toBe(2);

    // A long, slow answer: stopped once its first words are on screen.
    server.defaultReply = { text: 'one two three four five six seven eight nine ten eleven twelve.', chunkDelayMs: 300 };
    await page.getByLabel('Message').fill('count slowly');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.locator('#transcript .assistant').nth(1).textContent()).toContain('one');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('#transcript .assistant.interrupted').count()).toBe(1);
    await expect.poll(() => home.rows('SELECT status FROM messages WHERE role = \'assistant\' ORDER BY id'), { timeout: 10_000 }).toEqual([
      { status: 'complete' },
      { status: 'interrupted' },
    ]);
    expect(await page.locator('#transcript .assistant').nth(1).textContent()).not.toContain('twelve');
    expect(server.transcriptionRequests).toHaveLength(0);
    // The session list shows the conversation.
    await expect.poll(() => page.locator('#session-list .open').count()).toBe(1);
  });

  it('an answer that fails upstream midway shows why, and what arrived stays on screen', async () => {
    const token = await newToken(home, 'alice');
    server.defaultReply = { text: 'The first words and then nothing more.', dropAfterChunks: 3 };
    const page = await openPage(token);
    await page.getByLabel('Message').fill('hi');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('The question was saved.');
    expect(await page.locator('#transcript .assistant').textContent()).toContain('The first words');
    expect(await page.getByRole('button', { name: 'Stop' }).isDisabled()).toBe(true);
  });

  it('a wrong token shows what to do, and the page asks for it again', async () => {
    const page = await openPage('not-a-real-token', { accepted: false });
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('This token was not accepted');
    expect(await page.locator('#token-form').isVisible()).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('a rate limit says when to retry; a server gone says it cannot be reached; a denied microphone says how to allow it', async () => {
    // Two a minute: the page's first list of sessions, then one question.
    const token = await newToken(home, 'alice', ['--requests-per-minute', '2']);
    server.defaultReply = { text: 'First.' };
    const page = await openPage(token);
    await page.getByLabel('Message').fill('one');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => page.locator('#transcript .assistant').textContent()).toContain('First.');
    await page.getByLabel('Message').fill('two');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^Rate limit reached: .*Try again in \d+ s \(at .+\)\.$/);

    expect((await serve!.stop()).code).toBe(0);
    serve = undefined;
    await page.getByLabel('Message').fill('three');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The server cannot be reached. Check your connection and try again.');

    const denying = await launchBrowser(wav.path, { microphoneDenied: true });
    try {
      serve = await startServe(home);
      const deniedPage = await denying.newPage();
      await deniedPage.goto(serve.base);
      await deniedPage.getByLabel('Token').fill(token);
      await deniedPage.getByRole('button', { name: 'Use this token' }).click();
      // click, not check: the page unchecks the box again as soon as the browser refuses.
      await deniedPage.getByLabel('Hands-free').click();
      await expect.poll(() => deniedPage.getByRole('alert').textContent()).toContain('Microphone permission was denied');
      expect(await deniedPage.getByLabel('Hands-free').isChecked()).toBe(false);
    } finally {
      await denying.close();
    }
  });

  it("another token's sessions are not listed, found or opened; its own are, and can be deleted", async () => {
    const alice = await newToken(home, 'alice');
    const bob = await newToken(home, 'bob');
    server.defaultReply = { text: 'Noted.' };
    const alicePage = await openPage(alice);
    await alicePage.getByLabel('Message').fill('remember the blue umbrella');
    await alicePage.getByLabel('Message').press('Enter');
    await expect.poll(() => alicePage.locator('#session-list .open').count()).toBe(1);
    await context!.close();

    const bobPage = await openPage(bob);
    await expect.poll(() => bobPage.locator('#session-list').textContent()).toContain('No conversations yet.');
    await bobPage.getByLabel('Search conversations').fill('umbrella');
    await expect.poll(() => bobPage.locator('#session-list').textContent()).toContain('Nothing found.');
    await context!.close();

    const again = await openPage(alice);
    await again.getByLabel('Search conversations').fill('umbrella');
    await expect.poll(() => again.locator('#session-list .open').textContent()).toContain('umbrella');
    await again.locator('#session-list .open').click();
    await expect.poll(() => again.locator('#transcript .user').textContent()).toContain('remember the blue umbrella');
    await again.getByLabel('Search conversations').fill('');
    await expect.poll(() => again.getByRole('button', { name: /^Delete conversation/ }).count()).toBe(1);
    again.on('dialog', (dialog) => void dialog.accept());
    await again.getByRole('button', { name: /^Delete conversation/ }).click();
    await expect.poll(() => again.locator('#session-list').textContent()).toContain('No conversations yet.');
    expect(await home.rows('SELECT id FROM sessions')).toEqual([]);
  });

  it('serves everything itself under a strict CSP, under 100 KB gzipped; screenshots at phone and desktop sizes, light and dark', async () => {
    const token = await newToken(home, 'alice');
    server.defaultReply = { text: 'Paris is the capital of France. It sits on the Seine, and about two million people live there.' };
    const page = await openPage(token);
    const response = await fetch(serve!.base, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    // What `/` loads, as sent (gzip): the page and the files it names.
    const html = await response.text();
    const assets = [...html.matchAll(/"(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toHaveLength(3);
    let transferred = 0;
    for (const path of ['/', ...assets]) {
      const raw = await rawSize(`${serve!.base}${path}`);
      transferred += raw.gzipped;
      if (path !== '/') expect(raw.cacheControl).toContain('immutable');
    }
    expect(transferred).toBeLessThan(100 * 1024);
    process.stderr.write(`[web page] gzip bytes transferred for /: ${transferred}\n`);

    await page.getByLabel('Message').fill('What is the capital of France?');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => page.locator('#transcript .assistant').textContent()).toContain('two million');
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const) {
      await page.setViewportSize(viewport);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: join(SCREENSHOTS, `${size}-${scheme}.png`) });
      }
    }
    // Nothing was refused by the policy, and nothing failed on the page.
    expect(consoleLines.filter((line) => /Content Security Policy|^pageerror|Refused to/.test(line))).toEqual([]);
  });
});

/** The gzipped size of one response as sent, and its cache policy. */
async function rawSize(url: string): Promise<{ gzipped: number; cacheControl: string }> {
  const { request } = await import('node:http');
  return new Promise((resolvePromise, reject) => {
    const sent = request(url, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolvePromise({ gzipped: bytes, cacheControl: String(response.headers['cache-control']) }));
    });
    sent.on('error', reject);
    sent.end();
  });
}
