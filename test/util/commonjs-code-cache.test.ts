// A CommonJS file loaded with the V8 code cache the build writes beside it: the cache is used when it
// was made from this very source, and never for other source, even of the same length.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CODE_CACHE_SUFFIX, loadCommonJs } from '../../src/util/commonjs-code-cache.js';
import { buildCli } from '../helpers/build-cli.js';
import { TSX_LOADER } from '../helpers/cli.js';
import { startRedis } from '../cache/redis-harness.js';
import { PROJECT_ROOT } from '../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A module whose answer is in its source: answers of one length give sources of one length. */
const moduleSource = (answer: string) =>
  `const { basename } = require('node:path');\nexports.answer = () => '${answer}';\nexports.name = basename(__filename);\nexports.self = module.exports === exports;\n`;

/**
 * Loads (or with `make`, writes the cache of) `file` in a fresh Node: V8 keeps compiled scripts per
 * process, so a second load in this one would not read the cache at all.
 */
function inChild(file: string, make = false): { cache: string; answer: string; name: string; self: boolean; warmed?: number } {
  const code = `
    const { loadCommonJs, writeCodeCache } = await import(${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'src/util/commonjs-code-cache.ts')).href)});
    const file = ${JSON.stringify(file)};
    let warmed = 0;
    if (${make}) await writeCodeCache(file, (e) => { warmed++; e.answer(); });
    const r = loadCommonJs(file);
    console.log(JSON.stringify({ cache: r.cache, answer: r.exports.answer(), name: r.exports.name, self: r.exports.self, warmed }));`;
  const out = execFileSync(process.execPath, ['--import', TSX_LOADER, '--input-type=module', '-e', code], { encoding: 'utf8' });
  return JSON.parse(out) as ReturnType<typeof inChild>;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

describe('loadCommonJs', () => {
  it('runs the file as Node runs CommonJS: exports, require, module, __filename', () => {
    const file = join(dir, 'plain.cjs');
    writeFileSync(file, moduleSource('one'));
    expect(inChild(file)).toMatchObject({ cache: 'none', answer: 'one', name: 'plain.cjs', self: true });
  });

  it('reads a file that is not ASCII as UTF-8 (esbuild output is ASCII, and read faster as such)', () => {
    const file = join(dir, 'utf8.cjs');
    writeFileSync(file, moduleSource('d\u00e9j\u00e0 \u2713'));
    expect(inChild(file)).toMatchObject({ cache: 'none', answer: 'd\u00e9j\u00e0 \u2713' });
  });

  it('uses the cache the build wrote for this source', () => {
    const file = join(dir, 'cached.cjs');
    writeFileSync(file, moduleSource('one'));
    expect(inChild(file, true)).toMatchObject({ warmed: 1 });
    expect(inChild(file)).toMatchObject({ cache: 'used', answer: 'one' });
  });

  it('never uses a cache made from other source of the same length (V8 itself checks only the length)', () => {
    const file = join(dir, 'changed.cjs');
    writeFileSync(file, moduleSource('one'));
    inChild(file, true);
    const other = moduleSource('two');
    expect(other.length).toBe(moduleSource('one').length);
    writeFileSync(file, other);
    expect(inChild(file)).toMatchObject({ cache: 'none', answer: 'two' });
  });

  it('a damaged cache never reaches V8 (release V8 does not checksum it: it can crash)', () => {
    const file = join(dir, 'damaged.cjs');
    writeFileSync(file, moduleSource('one'));
    inChild(file, true);
    const cache = readFileSync(file + CODE_CACHE_SUFFIX);
    cache[cache.length - 8] ^= 0xff; // in V8's compiled code
    writeFileSync(file + CODE_CACHE_SUFFIX, cache);
    expect(inChild(file)).toMatchObject({ cache: 'none', answer: 'one' });
  });

  it('a cache V8 refuses (another V8 version wrote it) is compiled around, not an error', () => {
    const file = join(dir, 'foreign.cjs');
    writeFileSync(file, moduleSource('one'));
    inChild(file, true);
    const cache = readFileSync(file + CODE_CACHE_SUFFIX);
    const data = cache.subarray(64);
    data.fill(0x5a, 4, 8); // V8's version hash, after its magic number
    sha256(data).copy(cache, 32); // the digests hold: only V8's own check can refuse it
    writeFileSync(file + CODE_CACHE_SUFFIX, cache);
    expect(inChild(file)).toMatchObject({ cache: 'rejected', answer: 'one' });
  });
});

/** A directory of CommonJS modules as the bundle's chunks are: they require each other as './NAME.js'. */
function writeDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  // a.js and b.js require each other (a cycle, as chunks may); both reach Node's built-ins.
  writeFileSync(join(d, 'main.js'), `const a = require('./a.js');\nexports.run = () => a.hello('x') + ':' + require('node:path').basename(__filename);\n`);
  writeFileSync(join(d, 'a.js'), `exports.early = 1;\nconst b = require('./b.js');\nexports.hello = (s) => b.shout(s) + b.sawEarly;\n`);
  writeFileSync(join(d, 'b.js'), `const a = require('./a.js');\nexports.sawEarly = a.early;\nexports.shout = (s) => s.toUpperCase();\n`);
  writeFileSync(join(d, 'unused.js'), `exports.never = () => 0;\n`);
  return d;
}

/**
 * In a fresh Node (V8 keeps compiled scripts per process): loads the directory `d`, or with `make`
 * first writes its caches, or with `check` only lists the files whose cache V8 rejects (as the build does).
 */
function dirInChild(d: string, mode: 'load' | 'make' | 'check' = 'load'): { run?: string; caches?: Record<string, string>; rejected?: string[] } {
  const code = `
    const { loadCommonJsDir, writeCodeCaches, rejectedCodeCaches } = await import(${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'src/util/commonjs-code-cache.ts')).href)});
    const d = ${JSON.stringify(d)};
    if (${JSON.stringify(mode)} === 'check') console.log(JSON.stringify({ rejected: rejectedCodeCaches(d) }));
    else {
      if (${JSON.stringify(mode)} === 'make') await writeCodeCaches(d, 'main.js', (m) => m.run());
      const r = loadCommonJsDir(d, 'main.js');
      const caches = Object.fromEntries([...r.loaded].map(([f, c]) => [f.slice(d.length + 1), c.cache]));
      console.log(JSON.stringify({ run: r.exports.run(), caches }));
    }`;
  const out = execFileSync(process.execPath, ['--import', TSX_LOADER, '--input-type=module', '-e', code], { encoding: 'utf8' });
  return JSON.parse(out) as ReturnType<typeof dirInChild>;
}

describe('loadCommonJsDir', () => {
  it('loads a directory of modules that require each other, each once, each through its own cache', () => {
    const d = writeDir('tree');
    expect(dirInChild(d)).toEqual({ run: 'X1:main.js', caches: { 'main.js': 'none', 'a.js': 'none', 'b.js': 'none' } });
    dirInChild(d, 'make');
    // Every .js file got a cache, the one never loaded too (its top-level code).
    expect(readdirSync(d).filter((n) => n.endsWith(CODE_CACHE_SUFFIX)).sort()).toEqual(['a.js', 'b.js', 'main.js', 'unused.js'].map((n) => n + CODE_CACHE_SUFFIX));
    expect(dirInChild(d)).toEqual({ run: 'X1:main.js', caches: { 'main.js': 'used', 'a.js': 'used', 'b.js': 'used' } });
    expect(dirInChild(d, 'check')).toEqual({ rejected: [] });
  });

  it('a damaged or foreign cache of one file: that file is compiled, the others use theirs, nothing crashes', () => {
    const d = writeDir('mixed');
    dirInChild(d, 'make');
    const damaged = readFileSync(join(d, 'a.js' + CODE_CACHE_SUFFIX));
    damaged[damaged.length - 8] ^= 0xff;
    writeFileSync(join(d, 'a.js' + CODE_CACHE_SUFFIX), damaged);
    const foreign = readFileSync(join(d, 'b.js' + CODE_CACHE_SUFFIX));
    const data = foreign.subarray(64);
    data.fill(0x5a, 4, 8); // V8's version hash: as if another Node wrote it
    sha256(data).copy(foreign, 32);
    writeFileSync(join(d, 'b.js' + CODE_CACHE_SUFFIX), foreign);
    expect(dirInChild(d)).toEqual({ run: 'X1:main.js', caches: { 'main.js': 'used', 'a.js': 'none', 'b.js': 'rejected' } });
    // The build's check names both (its own digests refuse a.js's cache before V8 sees it).
    expect(dirInChild(d, 'check')).toEqual({ rejected: ['a.js', 'b.js'] });
  });
});

describe('the bundle', () => {
  it('the built CLI starts from CommonJS chunks, every one it loads through its code cache (V8 took each)', () => {
    buildCli();
    const bundle = join(PROJECT_ROOT, 'dist/cli-bundle');
    // A fresh Node accepts every cache the build wrote (the build checks this too).
    const check = `console.log(JSON.stringify(require(${JSON.stringify(join(bundle, 'code-cache.cjs'))}).rejectedCodeCaches(${JSON.stringify(bundle)})))`;
    expect(JSON.parse(execFileSync(process.execPath, ['-e', check], { encoding: 'utf8' }))).toEqual([]);
    for (const args of [['--version'], ['sbom', '--help']]) {
      const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/portcullis.js'), ...args], { encoding: 'utf8', env: { ...process.env, PORTCULLIS_TRACE_STARTUP: '1' } });
      expect(r.status).toBe(0);
      const m = /^portcullis: started from dist\/cli-bundle\/main\.js; code caches: (.*)$/m.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const uses = m![1]!.split(', ').map((u) => u.split(' '));
      expect(uses[0]).toEqual(['main.js', 'used']);
      for (const [, use] of uses) expect(use).toBe('used');
      if (args[0] === 'sbom') expect(uses.some(([f]) => f!.startsWith('sbom-'))).toBe(true); // the command's lazy chunk
      else expect(uses.some(([f]) => f!.startsWith('sbom-'))).toBe(false);
    }
  }, 300_000);

  it('ships the Redis client as one CommonJS file whose code cache this Node uses', async () => {
    buildCli();
    const { SHIPPED_REDIS_LIB } = await import('../../src/cache/redis-module.js');
    const r = loadCommonJs(join(PROJECT_ROOT, 'dist/cli-bundle', SHIPPED_REDIS_LIB));
    expect(r.cache).toBe('used');
    const lib = r.exports as typeof import('../../src/cache/redis-lib.js');
    expect(typeof lib.RedisClient).toBe('function');
    expect(lib.RESP_TYPES.BLOB_STRING).toBe(36); // '$'
    expect(new lib.ErrorReply('ERR x')).toBeInstanceOf(Error);
    // The main bundle does not carry a second copy of the client.
    const chunks = readdirSync(join(PROJECT_ROOT, 'dist/cli-bundle')).filter((n) => n.endsWith('.js'));
    for (const c of chunks) expect(readFileSync(join(PROJECT_ROOT, 'dist/cli-bundle', c), 'utf8')).not.toContain('@redis/client/dist/lib/client/index.js');

    // The installed CLI talks to a real Redis through it.
    const redis = await startRedis();
    try {
      const home = join(dir, 'home');
      const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state'), PORTCULLIS_CACHE_BACKEND: redis.url, PORTCULLIS_CACHE_KEY: 'ab'.repeat(32) };
      const out = execFileSync(process.execPath, [join(PROJECT_ROOT, 'bin/portcullis.js'), 'cache', 'info'], { env, encoding: 'utf8' });
      expect(out).toMatch(new RegExp(`shared:    redis://127\\.0\\.0\\.1:${redis.port}\\nentries:   0\\n`));
    } finally {
      await redis.stop();
    }
  }, 120_000);
});
