/**
 * GET / and /assets/* (src/server/web-page.ts) over a built page in a temp directory: the
 * headers that keep the page safe and cached right, the server's speech settings in the page,
 * escaped, and what happens before `npm run build`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { webPage } from '../../src/server/web-page.js';

const SPEECH = { sttModel: 'whisper-1', language: undefined, voice: { model: 'tts-1', voice: 'alloy', speed: 1 } };
let directory: string;

function built(): string {
  directory = mkdtempSync(join(tmpdir(), 'assistant-web-'));
  mkdirSync(join(directory, 'assets'));
  writeFileSync(join(directory, 'index.html'), '<meta name="assistant-speech" content="__SPEECH_SETTINGS__"><script type="module" src="/assets/app-ABC.js"></script>');
  writeFileSync(join(directory, 'assets', 'app-ABC.js'), 'console.log("page");'.repeat(50));
  writeFileSync(join(directory, 'assets', 'notes.txt'), 'not served');
  return directory;
}

afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('the web page route', () => {
  it('serves the page with a strict CSP, no-cache and the speech settings as an escaped attribute', async () => {
    const routes = webPage({ ...SPEECH, voice: { ...SPEECH.voice, voice: 'a"><script>x</script>' } }, built());
    const response = await routes.request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const policy = response.headers.get('content-security-policy')!;
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).not.toContain('<script>x');
    expect(html).toContain('content="{&quot;sttModel&quot;:&quot;whisper-1&quot;,&quot;language&quot;:null,&quot;ttsModel&quot;:&quot;tts-1&quot;,&quot;voice&quot;:&quot;a\\&quot;&gt;&lt;script&gt;x&lt;/script&gt;&quot;,&quot;speed&quot;:1}"');
  });

  it('serves hashed assets gzipped and immutable, answers 304 to a matching ETag, and nothing else', async () => {
    const routes = webPage(SPEECH, built());
    const response = await routes.request('/assets/app-ABC.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const gzipped = Buffer.from(await response.arrayBuffer());
    expect(gunzipSync(gzipped).toString()).toBe('console.log("page");'.repeat(50));
    expect(gzipped.length).toBeLessThan(200);

    const plain = await routes.request('/assets/app-ABC.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    const again = await routes.request('/assets/app-ABC.js', { headers: { 'if-none-match': response.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await routes.request('/assets/notes.txt')).status).toBe(404);
    expect((await routes.request('/assets/..%2Findex.html')).status).toBe(404);
  });

  it('says how to build the page when it is not built', async () => {
    directory = mkdtempSync(join(tmpdir(), 'assistant-web-'));
    const response = await webPage(SPEECH, directory).request('/');
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build');
  });
});
