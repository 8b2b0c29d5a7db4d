/**
 * Bundles the web page (src/web/) into dist/web/ with esbuild: one minified script, the
 * microphone's audio worklet and one stylesheet under assets/ with a content hash in their
 * names (served as immutable), and index.html pointing at them. Run by `npm run build`; it lives
 * in src/ so that whatever copies the sources to build them (the Dockerfile) has it too.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const source = join(root, 'src/web');
const output = join(root, 'dist/web');
rmSync(output, { recursive: true, force: true });
mkdirSync(output, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { app: 'src/web/main.ts', 'capture-worklet': 'src/web/capture-worklet.ts', style: 'src/web/style.css' },
  bundle: true,
  minify: process.env.WEB_MINIFY !== '0',
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  outdir: join(output, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

/** The built file of each entry, by entry name. */
const built = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint) built[basename(meta.entryPoint).replace(/\.(ts|css)$/, '')] = `/assets/${basename(file)}`;
}
let html = readFileSync(join(source, 'index.html'), 'utf8');
for (const [name, path] of Object.entries({ '__APP_JS__': built.main, '__WORKLET_JS__': built['capture-worklet'], '__STYLE_CSS__': built.style })) {
  if (!path) throw new Error(`esbuild produced no file for ${name}`);
  html = html.replace(name, path);
}
writeFileSync(join(output, 'index.html'), html);
