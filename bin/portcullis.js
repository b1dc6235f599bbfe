#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm ci` through the prepare script).
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const debug = process.argv.includes('--debug') || process.env.PORTCULLIS_DEBUG === '1';
// --debug prints stack traces; the build's source maps make them name src/*.ts lines.
if (debug) process.setSourceMapsEnabled(true);

// `npm run build` writes tsc's per-file output (dist/cli/) and then a bundle of it: CommonJS chunks,
// each with a V8 code cache beside it (dist/cli-bundle/, scripts/bundle-cli.mjs), which start in a
// fraction of the time. A bundle older than tsc's output is stale (tsc was run alone): the per-file
// build is then the true one.
const path = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const mtime = (rel) => statSync(path(rel), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const BUNDLE = '../dist/cli-bundle/';
const bundled = mtime(`${BUNDLE}main.js`) >= 0 && mtime(`${BUNDLE}main.js`) >= mtime('../dist/cli/main.js');

async function load() {
  if (!bundled) return { main: (await import('../dist/cli/main.js')).main, from: 'dist/cli/main.js' };
  const require = createRequire(import.meta.url);
  // Node's own loader applies source maps to what it loads, not to a vm.Script: --debug pays the compile.
  if (debug) return { main: require(path(`${BUNDLE}main.js`)).main, from: 'dist/cli-bundle/main.js, no code cache (--debug)' };
  const { exports, loaded } = require(path(`${BUNDLE}code-cache.cjs`)).loadCommonJsDir(path(BUNDLE), 'main.js');
  return { main: exports.main, from: 'dist/cli-bundle/main.js', loaded };
}
const { main, from, loaded } = await load();

// A reader that goes away (`portcullis scan … | head`) is not an error of ours.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
// Which files were loaded, and how each used its code cache (tests, and a slow start in the field).
if (process.env.PORTCULLIS_TRACE_STARTUP === '1') {
  const uses = loaded ? [...loaded].map(([file, c]) => `${file.slice(file.lastIndexOf('/') + 1)} ${c.cache}`).join(', ') : '';
  process.stderr.write(`portcullis: started from ${from}${uses ? `; code caches: ${uses}` : ''}\n`);
}
