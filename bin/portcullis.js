#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm ci` through the prepare script).
import { statSync } from 'node:fs';

// --debug prints stack traces; the bundle's source maps make them name src/*.ts lines.
if (process.argv.includes('--debug') || process.env.PORTCULLIS_DEBUG === '1') process.setSourceMapsEnabled(true);

// `npm run build` writes tsc's per-file output (dist/cli/) and then one bundle of it
// (dist/cli-bundle/, scripts/bundle-cli.mjs), which loads in about half the time. A bundle older
// than tsc's output is stale (tsc was run alone): the per-file build is then the true one.
function entry() {
  const mtime = (rel) => statSync(new URL(rel, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
  const bundle = mtime('../dist/cli-bundle/main.js');
  return bundle >= 0 && bundle >= mtime('../dist/cli/main.js') ? '../dist/cli-bundle/main.js' : '../dist/cli/main.js';
}
const { main } = await import(entry());

// A reader that goes away (`portcullis scan … | head`) is not an error of ours.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
