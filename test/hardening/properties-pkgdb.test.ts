// Property-based robustness of the dpkg and apk catalogers' parse() (fast-check, fixed seeds,
// bounded runs). Inputs: the real package databases under ../shared/data/pkgdb (dpkg status and
// status.d files, apk installed files from trivy / syft / osv-scalibr test data) when present,
// else generated stanzas; mutated at text level (insert / delete / duplicate / swap lines,
// truncate, control characters, very long values) and at byte level (invalid UTF-8, NULs).
// Properties: parse() never throws; every package has a non-empty name and version; every warning
// is the cataloger's own code; and a mutated database APPENDED after a valid one (blank line
// between) never loses a package the valid part alone yields — damage stays in its stanza.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apkCataloger } from '../../src/inventory/apk.js';
import type { Cataloger, CatalogContext, WalkedFile } from '../../src/inventory/cataloger.js';
import { dpkgCataloger } from '../../src/inventory/dpkg.js';
import type { Package } from '../../src/model/package.js';
import type { ScanWarning } from '../../src/model/warning.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';
import { figures } from './harness.js';

interface Fixture {
  /** Where it came from (shared dir, or "generated"). */
  from: string;
  /** Path in the image the cataloger wants. */
  path: string;
  text: string;
}

const LAYER = { index: 0, digest: `sha256:${'0'.repeat(64)}`, diffId: `sha256:${'0'.repeat(64)}` };

/** The dpkg / apk files of ../shared/data/pkgdb, by its index, under the image path they stand for. */
function sharedFixtures(kind: 'dpkg' | 'apk'): Fixture[] {
  const index = JSON.parse(readFileSync(shared('data', 'pkgdb', 'index.json'), 'utf8')) as { kind: string; dir: string; files: { path: string }[] }[];
  const out: Fixture[] = [];
  for (const e of index) {
    if (e.kind !== kind) continue;
    for (const f of e.files) {
      const path = `/${f.path.replace(/^rootfs\//, '')}`;
      const wanted = kind === 'dpkg' ? dpkgCataloger.wants(path, 0) : apkCataloger.wants(path, 0);
      if (wanted) out.push({ from: `${e.dir}/${f.path}`, path, text: readFileSync(shared('data', 'pkgdb', e.dir, f.path), 'latin1') });
    }
  }
  return out;
}

function generatedFixtures(kind: 'dpkg' | 'apk'): Fixture[] {
  if (kind === 'dpkg') {
    const stanza = (i: number) => `Package: pkg${i}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nSource: src${i} (1.${i}-1)\nVersion: 1:1.${i}-1+b1\nDepends: libc6 (>= 2.36), pkg${i + 1} | alt\nDescription: package ${i}\n long text\n .\n more\n`;
    const text = Array.from({ length: 8 }, (_, i) => stanza(i)).join('\n');
    return [{ from: 'generated', path: '/var/lib/dpkg/status', text }, { from: 'generated', path: '/var/lib/dpkg/status.d/one', text: stanza(99).replace(/^Status:.*\n/m, '') }];
  }
  const stanza = (i: number) => `C:Q1${'a'.repeat(27)}=\nP:pkg${i}\nV:1.${i}.0-r${i}\nA:x86_64\nS:1234\nI:4096\nT:package ${i}\nU:https://example.org\nL:MIT\no:origin${i}\nm:Someone <a@b>\nt:1700000000\nc:${'f'.repeat(40)}\nD:so:libc.musl-x86_64.so.1 pkg${i + 1}>=1\np:cmd:tool${i}\nF:usr/bin\nR:tool${i}\nZ:Q1${'b'.repeat(27)}=\n`;
  return [{ from: 'generated', path: '/lib/apk/db/installed', text: Array.from({ length: 8 }, (_, i) => stanza(i)).join('\n') }];
}

type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'dupLine'; line: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'longValue'; line: number; length: number }
  | { kind: 'bytes'; at: number; bytes: Uint8Array };

const nasty = fc.constantFrom('\n', '\n\n', '\r\n', ':', ': ', ' ', '\t', '\0', '\u00ff', '\ud800', '\u202e', 'Package:', 'Status: install ok installed', 'Version:', 'P:', 'V:', ' .', 'D:', '(', ')', '|', ',', '=', '\x1b[31m');
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(nasty, fc.string({ maxLength: 20 }), fc.array(nasty, { maxLength: 6 }).map((a) => a.join(''))) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('longValue' as const), line: fc.nat(), length: fc.integer({ min: 1000, max: 200_000 }) }),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

/** Applies the edits; the result is bytes (byte edits may make it invalid UTF-8). */
function mutate(text: string, edits: Edit[]): Buffer {
  let b = Buffer.from(text, 'latin1');
  const at = (n: number) => (b.length === 0 ? 0 : n % (b.length + 1));
  const lines = () => b.toString('latin1').split('\n');
  for (const e of edits) {
    switch (e.kind) {
      case 'insert':
        b = Buffer.concat([b.subarray(0, at(e.at)), Buffer.from(e.text, 'utf8'), b.subarray(at(e.at))]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at(e.at)), b.subarray(at(e.at) + e.count)]);
        break;
      case 'truncate':
        b = b.subarray(0, at(e.at));
        break;
      case 'bytes':
        b = Buffer.concat([b.subarray(0, at(e.at)), e.bytes, b.subarray(at(e.at))]);
        break;
      case 'dupLine':
      case 'swapLines':
      case 'longValue': {
        const ls = lines();
        const i = (e.kind === 'swapLines' ? e.a : e.line) % ls.length;
        if (e.kind === 'dupLine') ls.splice(i, 0, ls[i]!);
        else if (e.kind === 'swapLines') {
          const j = e.b % ls.length;
          [ls[i], ls[j]] = [ls[j]!, ls[i]!];
        } else ls[i] = `${ls[i]}${'x'.repeat(e.length)}`;
        b = Buffer.from(ls.join('\n'), 'latin1');
        break;
      }
    }
  }
  return b;
}

function parse(c: Cataloger, path: string, data: Buffer): { packages: Package[]; warnings: ScanWarning[] } {
  const warnings: ScanWarning[] = [];
  const ctx: CatalogContext = { osEcosystem: 'Debian:12', os: { id: 'debian', versionId: '12' } as CatalogContext['os'], warn: (w) => warnings.push(w) };
  const file: WalkedFile = { path, layer: LAYER, size: data.length, mode: 0o644, data };
  const packages = c.parse([file], ctx);
  if (!Array.isArray(packages)) throw new Error(`${c.name}.parse returned a promise or non-array`);
  return { packages, warnings };
}

const key = (p: Package) => `${p.name}\0${p.version}\0${p.arch ?? ''}`;

const CASES = [
  { cataloger: dpkgCataloger, kind: 'dpkg' as const, seed: 2201, warnPrefix: 'dpkg.' },
  { cataloger: apkCataloger, kind: 'apk' as const, seed: 2202, warnPrefix: 'apk.' },
];

describe('properties: mutated package databases through the dpkg and apk catalogers', () => {
  if (!HAVE_SHARED) console.warn('[properties-pkgdb] ../shared absent: mutating generated stanzas instead of the shared fixtures');
  const tally: Record<string, { fixtures: number; runs: number; packages: number; warnings: number; lostPackages: number }> = {};

  for (const { cataloger, kind, seed, warnPrefix } of CASES) {
    const fixtures = HAVE_SHARED ? sharedFixtures(kind) : generatedFixtures(kind);

    it(`${kind}: the fixtures parse to packages unmutated (control)`, () => {
      expect(fixtures.length).toBeGreaterThan(HAVE_SHARED ? 5 : 0);
      const total = fixtures.reduce((n, f) => n + parse(cataloger, f.path, Buffer.from(f.text, 'latin1')).packages.length, 0);
      expect(total).toBeGreaterThan(HAVE_SHARED ? 50 : 5);
    });

    it(`${kind}: parse() of mutated databases never throws, damage stays in its stanza (seed ${seed}, 3000 runs)`, () => {
      const t = (tally[kind] = { fixtures: fixtures.length, runs: 0, packages: 0, warnings: 0, lostPackages: 0 });
      fc.assert(
        fc.property(fc.nat(), fc.nat(), fc.array(edit, { minLength: 1, maxLength: 8 }), (fi, vi, edits) => {
          const target = fixtures[fi % fixtures.length]!;
          const mutated = mutate(target.text, edits);
          t.runs++;
          const alone = parse(cataloger, target.path, mutated);
          for (const p of alone.packages) {
            expect(typeof p.name === 'string' && p.name.length > 0, `name of ${JSON.stringify(p).slice(0, 200)}`).toBe(true);
            expect(typeof p.version === 'string' && p.version.length > 0, `version of ${p.name}`).toBe(true);
            expect(typeof p.purl).toBe('string');
          }
          for (const w of alone.warnings) expect(w.code.startsWith(warnPrefix), w.code).toBe(true);
          t.packages += alone.packages.length;
          t.warnings += alone.warnings.length;

          // A valid database followed by the damaged one: every package of the valid part survives.
          const valid = fixtures[vi % fixtures.length]!;
          const validBytes = Buffer.from(valid.text, 'latin1');
          const before = parse(cataloger, target.path, validBytes).packages.map(key);
          const combined = parse(cataloger, target.path, Buffer.concat([validBytes, Buffer.from('\n\n'), mutated])).packages.map(key);
          const have = new Set(combined);
          const lost = before.filter((k) => !have.has(k));
          t.lostPackages += lost.length;
          expect(lost, `packages of ${valid.from} lost when ${target.from} mutated by ${JSON.stringify(edits).slice(0, 500)} follows it`).toEqual([]);
        }),
        { seed, numRuns: 3000 },
      );
    }, 60_000);
  }

  it('prints the figures', () => {
    figures('properties-pkgdb', { shared: HAVE_SHARED, ...tally });
    expect(Object.keys(tally)).toEqual(['dpkg', 'apk']);
  });
});
