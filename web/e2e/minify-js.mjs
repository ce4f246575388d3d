// Minifies the JavaScript glue of a release build: trunk's post-build hook
// (Trunk.toml) runs it on the staging directory, before trunk moves it into dist/.
// trunk's own minifier fails on wasm-bindgen's glue (`export default`) and leaves it
// whole, about twice the size; esbuild minifies it as an ES module, keeping its
// exports. The index.html's integrity hashes of the rewritten files are updated so
// that the browser still verifies them.
//
// A debug build (`trunk serve`) is left alone. Without esbuild installed
// (scripts/setup-web installs it) the glue stays unminified, with a warning.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

if (process.env.TRUNK_PROFILE !== 'release') process.exit(0);
const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error('minify-js: TRUNK_STAGING_DIR is not set (run by trunk build --release)');
  process.exit(2);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('minify-js: esbuild is not installed (run scripts/setup-web): the JavaScript glue stays unminified');
  process.exit(0);
}

const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
const htmlPath = join(staging, 'index.html');
let html = readFileSync(htmlPath, 'utf8');
for (const name of readdirSync(staging).filter((f) => f.endsWith('.js'))) {
  const path = join(staging, name);
  const source = readFileSync(path);
  const { code } = await esbuild.transform(source.toString('utf8'), {
    format: 'esm',
    minify: true,
    target: 'es2020',
    logLevel: 'warning',
  });
  writeFileSync(path, code);
  html = html.replaceAll(sri(source), sri(Buffer.from(code)));
  console.log(`minify-js: ${name}: ${source.length} -> ${Buffer.byteLength(code)} bytes`);
}
writeFileSync(htmlPath, html);
