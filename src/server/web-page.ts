/**
 * The web page at `/` and its assets under /assets/, as built by `npm run build` into
 * dist/web/ (src/web/build.mjs). Everything the page loads comes from here, under a
 * strict Content-Security-Policy: no inline script or style, nothing from elsewhere; audio
 * plays from blob: URLs the page makes of /v1/audio/speech's answers. Assets carry a hash in
 * their names, so they are cached for a year; the page itself is revalidated every time.
 * The files are read and gzipped once, when the app is built.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Hono, type Context } from 'hono';
import type { SpeechSettings } from './talk-route.js';

/** dist/web/ of this package, from src/server/ and dist/server/ alike. */
export const WEB_DIRECTORY = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': 'microphone=(self), camera=(), geolocation=()',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

interface Asset {
  body: Buffer;
  gzipped: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

/** What the page needs to know to use the speech routes: the server's models and voice. */
export interface PageSpeechSettings {
  sttModel: string;
  language: string | null;
  ttsModel: string;
  voice: string;
  speed: number;
}

export function webPage(speech: SpeechSettings | undefined, directory: string = WEB_DIRECTORY): Hono {
  const routes = new Hono();
  const assets = loadAssets(directory, speech);
  routes.get('/', (context) => {
    if (!assets) return context.text('The web page is not built: run `npm run build`.', 503, SECURITY_HEADERS);
    return send(context, assets.page);
  });
  routes.get('/assets/:name', (context) => {
    const asset = assets?.files.get(context.req.param('name'));
    if (!asset) return context.text('No such file.', 404, SECURITY_HEADERS);
    return send(context, asset);
  });
  // Browsers ask for it whatever the page says; an empty answer beats a logged 404.
  routes.get('/favicon.ico', (context) => context.body(null, 204, { 'Cache-Control': 'public, max-age=86400' }));
  return routes;
}

function send(context: Context, asset: Asset): Response {
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Content-Type': asset.contentType, 'Cache-Control': asset.cacheControl, ETag: asset.etag, Vary: 'Accept-Encoding' };
  if (context.req.header('if-none-match') === asset.etag) return context.body(null, 304, headers);
  const gzip = /\bgzip\b/.test(context.req.header('accept-encoding') ?? '');
  if (gzip) headers['Content-Encoding'] = 'gzip';
  return context.body(new Uint8Array(gzip ? asset.gzipped : asset.body), 200, headers);
}

function loadAssets(directory: string, speech: SpeechSettings | undefined): { page: Asset; files: Map<string, Asset> } | undefined {
  const indexPath = join(directory, 'index.html');
  if (!existsSync(indexPath)) return undefined;
  const settings: PageSpeechSettings | null = speech
    ? { sttModel: speech.sttModel, language: speech.language ?? null, ttsModel: speech.voice.model, voice: speech.voice.voice, speed: speech.voice.speed }
    : null;
  // The only thing that varies by server; an attribute, so no inline script is needed.
  const html = readFileSync(indexPath, 'utf8').replace('__SPEECH_SETTINGS__', escapeAttribute(JSON.stringify(settings)));
  const page = asset(Buffer.from(html), CONTENT_TYPES['.html']!, 'no-cache');
  const files = new Map<string, Asset>();
  const assetDirectory = join(directory, 'assets');
  for (const name of existsSync(assetDirectory) ? readdirSync(assetDirectory) : []) {
    const contentType = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))];
    if (contentType) files.set(name, asset(readFileSync(join(assetDirectory, name)), contentType, 'public, max-age=31536000, immutable'));
  }
  return { page, files };
}

function asset(body: Buffer, contentType: string, cacheControl: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzipped: gzipSync(body, { level: 9 }), contentType, etag, cacheControl };
}

function escapeAttribute(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll("'", '&#39;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
