#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI lives in dist/ (built by `npm ci` through the prepare script). CommonJS
// (bin/package.json): an ES module entry costs every run Node's ES module loader, ~14 ms of CPU at
// start-up (bench/startup.ts).
const { statSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const debug = process.argv.includes('--debug') || process.env.PORTCULLIS_DEBUG === '1';
// --debug prints stack traces; the build's source maps make them name src/*.ts lines.
if (debug) process.setSourceMapsEnabled(true);

// `npm run build` writes tsc's per-file output (dist/cli/) and then a bundle of it: CommonJS chunks,
// each with a V8 code cache beside it (dist/cli-bundle/, scripts/bundle-cli.mjs), which start in a
// fraction of the time. A bundle older than tsc's output is stale (tsc was run alone): the per-file
// build is then the true one.
const path = (rel) => join(__dirname, rel);
const mtime = (rel) => statSync(path(rel), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const BUNDLE = '../dist/cli-bundle/';
const bundled = mtime(`${BUNDLE}main.js`) >= 0 && mtime(`${BUNDLE}main.js`) >= mtime('../dist/cli/main.js');

async function load() {
  if (!bundled) return { main: (await import(pathToFileURL(path('../dist/cli/main.js')).href)).main, from: 'dist/cli/main.js' };
  // Node's own loader applies source maps to what it loads, not to a vm.Script: --debug pays the compile.
  if (debug) return { main: require(path(`${BUNDLE}main.js`)).main, from: 'dist/cli-bundle/main.js, no code cache (--debug)' };
  const { exports, loaded } = require(path(`${BUNDLE}code-cache.cjs`)).loadCommonJsDir(path(BUNDLE), 'main.js');
  return { main: exports.main, from: 'dist/cli-bundle/main.js', loaded };
}

async function run() {
  let started;
  try {
    started = await load();
  } catch (err) {
    // A broken install is an error (2), never a policy verdict: one line, the stack with --debug.
    process.stderr.write(`portcullis: cannot load the CLI from ${bundled ? 'dist/cli-bundle' : 'dist/cli'}: ${debug ? err?.stack : (err?.message ?? err)}\n`);
    return 2;
  }
  const { main, from, loaded } = started;
  // A reader that goes away (`portcullis scan … | head`) is not an error of ours.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const code = await main(process.argv.slice(2));
  // Which files were loaded, and how each used its code cache (tests, and a slow start in the field).
  if (process.env.PORTCULLIS_TRACE_STARTUP === '1') {
    const uses = loaded ? [...loaded].map(([file, c]) => `${file.slice(file.lastIndexOf('/') + 1)} ${c.cache}`).join(', ') : '';
    process.stderr.write(`portcullis: started from ${from}${uses ? `; code caches: ${uses}` : ''}\n`);
  }
  return code;
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`portcullis: ${debug ? err?.stack : (err?.message ?? err)}\n`);
    process.exitCode = 2;
  },
);
