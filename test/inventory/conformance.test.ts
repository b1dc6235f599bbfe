// Every dpkg and apk fixture in ../shared/data/pkgdb gives exactly the packages its upstream test
// asserts. Peers differ on empty source fields: syft / osv-scalibr leave sourceName "" when there is
// no Source / origin and sourceVersion "" unless Source states "(version)" (apk: never). Our
// convention (trivy's) fills them: sourceName defaults to the name, sourceVersion to the source's
// own version or else the binary version. So for those fixtures an empty expected field is mapped to
// our default before comparing; a non-empty expected value must match exactly.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apkCataloger } from '../../src/inventory/apk.js';
import type { Cataloger, WalkedFile } from '../../src/inventory/cataloger.js';
import { dpkgCataloger } from '../../src/inventory/dpkg.js';
import { parseSourceField } from '../../src/inventory/dpkg.js';
import type { ScanWarning } from '../../src/model/warning.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';

interface Fixture {
  kind: string;
  dir: string;
  expected?: string;
  note: string;
  files: { path: string }[];
}
interface Expected {
  name: string;
  version: string;
  sourceName: string;
  sourceVersion: string;
  arch: string;
}

const layer = { index: 0, digest: 'sha256:0', diffId: 'sha256:0' };

function filesUnder(root: string): WalkedFile[] {
  const out: WalkedFile[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push({ path: `/${relative(root, p)}`, layer, size: st.size, mode: st.mode, data: readFileSync(p) });
    }
  };
  walk(root);
  return out;
}

const fixtures: Fixture[] = HAVE_SHARED
  ? (JSON.parse(readFileSync(shared('data', 'pkgdb', 'index.json'), 'utf8')) as Fixture[]).filter(
      // "including not installed" asserts a non-default osv-scalibr option (IncludeNotInstalled) that
      // portcullis does not have; the same status file is covered by the default "statusfield" case.
      (f) => (f.kind === 'dpkg' || f.kind === 'apk') && f.expected && !f.note.includes('non-default extractor config'),
    )
  : [];

describe.skipIf(!HAVE_SHARED)('pkgdb conformance (dpkg, apk)', () => {
  it('finds the fixtures', () => {
    expect(fixtures.filter((f) => f.kind === 'dpkg').length).toBeGreaterThanOrEqual(20);
    expect(fixtures.filter((f) => f.kind === 'apk').length).toBeGreaterThanOrEqual(8);
  });

  it.each(fixtures.map((f) => [f.dir, f] as const))('%s', async (_dir, fx) => {
    const dir = shared('data', 'pkgdb', fx.dir);
    // Whole-rootfs fixtures keep the image files under rootfs/.
    const root = fx.files.some((f) => f.path.startsWith('rootfs/')) ? join(dir, 'rootfs') : dir;
    const cataloger: Cataloger = fx.kind === 'dpkg' ? dpkgCataloger : apkCataloger;
    const files = filesUnder(root).filter((f) => cataloger.wants(f.path, f.size));
    const warnings: ScanWarning[] = [];
    const pkgs = await cataloger.parse(files, { osEcosystem: '', warn: (w) => warnings.push(w) });
    const expected = JSON.parse(readFileSync(join(dir, fx.expected as string), 'utf8')) as Expected[];
    const trivyConvention = fx.note.startsWith('trivy') || fx.note.startsWith('sourceName = apk origin');
    const want = expected.map((e) => ({
      name: e.name,
      version: e.version,
      sourceName: trivyConvention || e.sourceName !== '' ? e.sourceName : e.name,
      sourceVersion: trivyConvention || e.sourceVersion !== '' ? e.sourceVersion : e.version,
      arch: e.arch,
    }));
    const got = pkgs.map((p) => ({
      name: p.name,
      version: p.version,
      sourceName: p.sourceName,
      sourceVersion: p.sourceVersion,
      arch: p.arch ?? '',
    }));
    const key = (x: { name: string; version: string; arch: string }) => `${x.name}|${x.version}|${x.arch}`;
    const sort = <T extends { name: string; version: string; arch: string }>(xs: T[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    if (!trivyConvention) {
      // With the syft/scalibr convention an empty sourceVersion means "Source had no (version)";
      // a Source WITH a version that differs from the binary's must still match exactly.
      for (const w of want) {
        const e = expected.find((x) => x.name === w.name && x.version === w.version);
        if (e && e.sourceVersion === '' && fx.kind === 'dpkg') {
          const raw = files.map((f) => f.data.toString()).join('\n');
          const m = new RegExp(`^Package: ${w.name.replace(/[+.]/g, '\\$&')}\\n(?:.+\\n)*?Source: (.+)$`, 'm').exec(raw);
          if (m) expect(parseSourceField(m[1]).version, `${w.name} Source states no version`).toBeUndefined();
        }
      }
    }
    expect(sort(got)).toEqual(sort(want));
  });

  it('warns about, and skips, a malformed dpkg stanza while parsing the rest', async () => {
    const data = Buffer.from(
      'Package: good\nStatus: install ok installed\nVersion: 1.0\n\nPackage: bad\nStatus: install ok installed\nthis line is broken\nVersion: 2\n\nPackage: also-good\nStatus: install ok installed\nVersion: 3\n',
    );
    const warnings: ScanWarning[] = [];
    const pkgs = await dpkgCataloger.parse([{ path: '/var/lib/dpkg/status', layer, size: data.length, mode: 0o644, data }], {
      osEcosystem: 'Debian:12',
      warn: (w) => warnings.push(w),
    });
    expect(pkgs.map((p) => p.name)).toEqual(['good', 'also-good']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'dpkg.stanza', path: '/var/lib/dpkg/status' });
  });
});
