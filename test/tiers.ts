// Test tiers. `npm run test:unit` runs the test files that need nothing but this process: no
// subprocess, browser, network server or image build. A file is in that tier when neither it nor
// any test helper it imports (followed through relative imports under test/) uses one of the
// markers below, so a new test lands in the right tier without a list to keep.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** What makes a test file slow or dependent on the machine. */
export const HEAVY_MARKERS: readonly RegExp[] = [
  /['"]node:child_process['"]/, // subprocesses: the built CLI, reference tools, daemons
  /['"]playwright(-core)?['"]/, // a browser
  /\bcachedFixture\b/, // images and binaries built once per machine
  /['"]node:(http|https|net|http2|tls)['"]/, // servers, even on 127.0.0.1
  /['"]undici['"]/,
  // In-process but heavy by design (zip bombs, RSS bounds that want a process of their own).
  /^\/\/ test-tier: full\b/m,
];

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function localImports(file: string, testRoot: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2])!;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    // Only test helpers are followed: src/ is what the tests exercise, not how they run.
    if (relative(testRoot, target).startsWith('..')) continue;
    if (existsSync(target)) out.push(target);
  }
  return out;
}

/** Whether a test file (with the helpers it imports) uses a heavy marker; the first one found. */
export function heavyReason(file: string, testRoot: string, seen = new Set<string>()): string | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const hit = HEAVY_MARKERS.find((m) => m.test(text));
  if (hit) return `${relative(testRoot, file)}: ${hit.source}`;
  for (const dep of localImports(file, testRoot)) {
    const r = heavyReason(dep, testRoot, seen);
    if (r) return r;
  }
  return undefined;
}

function testFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) testFiles(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** The unit tier, as paths relative to the project root (vitest `include` entries). */
export function unitTestFiles(projectRoot: string): string[] {
  const testRoot = join(projectRoot, 'test');
  return testFiles(testRoot)
    .filter((f) => heavyReason(f, testRoot) === undefined)
    .map((f) => relative(projectRoot, f))
    .sort();
}
