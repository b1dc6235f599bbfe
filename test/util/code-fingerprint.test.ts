// The code fingerprint keys the whole-image inventory memo: any change of the running code must
// change it (else a memo made by other code would be trusted), and nothing else should.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeFingerprint, fingerprintOf } from '../../src/util/code-fingerprint.js';

const work = mkdtempSync(join(tmpdir(), 'portcullis-fingerprint-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('code fingerprint', () => {
  it('a per-file tree: changes with any code file (content at the same size, a new file, a dependency manifest), not with maps or types', () => {
    const pkg = join(work, 'pkg');
    const root = join(pkg, 'dist');
    mkdirSync(join(root, 'inventory'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{"name":"portcullis","version":"1.0.0"}');
    const parser = join(root, 'inventory', 'dpkg.js');
    writeFileSync(parser, 'export const a = 1;');
    writeFileSync(join(root, 'index.js'), 'export * from "./inventory/dpkg.js";');
    const first = fingerprintOf(root, true);
    expect(fingerprintOf(root, true)).toBe(first);

    const seen = new Set([first]);
    const expectNew = () => {
      const f = fingerprintOf(root, true);
      expect(seen.has(f)).toBe(false);
      seen.add(f);
    };
    // Same size, other content: an edit shows in the file's time.
    writeFileSync(parser, 'export const a = 2;');
    utimesSync(parser, new Date(2030, 0, 1), new Date(2030, 0, 1));
    expectNew();
    writeFileSync(join(root, 'inventory', 'rpm.js'), 'export const b = 1;');
    expectNew();
    writeFileSync(join(pkg, 'package-lock.json'), '{}');
    expectNew();
    const settled = fingerprintOf(root, true);
    writeFileSync(join(root, 'index.js.map'), '{}');
    writeFileSync(join(root, 'index.d.ts'), 'export {};');
    expect(fingerprintOf(root, true)).toBe(settled);
  });

  it('a bundle: its build id when the bundle build wrote one, else its chunks', () => {
    const bundle = join(work, 'cli-bundle');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'chunk-A.js'), 'x');
    const byChunks = fingerprintOf(bundle, false);
    writeFileSync(join(bundle, 'chunk-B.js'), 'y');
    expect(fingerprintOf(bundle, false)).not.toBe(byChunks);
    writeFileSync(join(bundle, 'build-id'), `${'a'.repeat(64)}\n`);
    expect(fingerprintOf(bundle, false)).toBe(`bundle:${'a'.repeat(64)}`);
    // Not an id: the chunks decide.
    writeFileSync(join(bundle, 'build-id'), 'garbage');
    expect(fingerprintOf(bundle, false)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the running code has one (this test runs from src/: the per-file tree)', () => {
    expect(codeFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(codeFingerprint()).toBe(codeFingerprint());
  });
});
