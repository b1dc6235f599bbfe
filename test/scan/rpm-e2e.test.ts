// An rpm image (real rpmbuild + rpm db, two layers) scanned against the REAL AlmaLinux advisories in
// ../shared; which advisories apply is decided independently by rpm's own rpm.vercmp.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OsvRecord } from '../../src/model/osv.js';
import type { Report } from '../../src/model/report.js';
import { rpmImage, type RpmImageFixture } from '../fixtures/rpm-image.js';
import { runCli } from '../helpers/cli.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';

/** rpm.vercmp(a, b) for many pairs in one rpm process. */
function rpmVercmp(pairs: [string, string][]): number[] {
  if (pairs.length === 0) return [];
  const lua = pairs.map(([a, b]) => `print(rpm.vercmp(${JSON.stringify(a)}, ${JSON.stringify(b)}))`).join(' ');
  return execFileSync('rpm', ['--eval', `%{lua: ${lua}}`], { encoding: 'utf8' }).trim().split('\n').map(Number);
}

/** EVR with epoch 0 spelled out, as rpm.vercmp compares whole strings segment by segment. */
const evr = (epoch: string, vr: string) => `${epoch === '(none)' ? '0' : epoch}:${vr}`;
const withEpoch = (v: string) => (/^\d+:/.test(v) ? v : `0:${v}`);

describe.skipIf(!HAVE_SHARED)('scan of an rpm image against real AlmaLinux advisories', () => {
  let img: RpmImageFixture;
  let dir: string;
  let db: string;
  let records: OsvRecord[];

  beforeAll(async () => {
    img = await rpmImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-rpm-e2e-'));
    db = join(dir, 'db.sqlite');
    const alma = shared('data/osv/almalinux');
    const r = await runCli(['db', 'import', '--db', db, alma]);
    expect(r.code, r.stderr).toBe(0);
    records = readdirSync(alma, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8')) as OsvRecord);
  }, 1_800_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('inventories what rpm -qa says, with the rewritten package attributed to layer 1', async () => {
    const r = await runCli(['sbom', img.dockerArchive]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.os).toMatchObject({ id: 'almalinux', versionId: '9.4' });
    const ours = report.packages.map((p) => `${p.name} ${p.version} L${p.layer.index}`).sort();
    expect(ours).toEqual(['expat 2.4.9-1.el9 L0', 'less 1:590-2.el9 L1']);
    expect(img.finalQa.map((q) => `${q.name} ${q.epoch === '(none)' ? '' : `${q.epoch}:`}${q.vr}`).sort()).toEqual(['expat 2.4.9-1.el9', 'less 1:590-2.el9']);
    const less = report.packages.find((p) => p.name === 'less')!;
    expect(less.purl).toBe('pkg:rpm/almalinux/less@590-2.el9?arch=x86_64&distro=almalinux-9.4&epoch=1');
  });

  it('reports exactly the advisories rpm.vercmp says contain the installed EVR (epoch included)', async () => {
    const r = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--format', 'json', '--skip-db-age-check'], { env: { PORTCULLIS_DB: db, XDG_CACHE_HOME: join(dir, 'c') } });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const ours = report.findings!.map((f) => `${f.package.name} ${f.id}`).sort();

    // Independent oracle: every AlmaLinux:9 record naming an installed package, `introduced: 0` +
    // `fixed: F` ranges (the only shape these records use: asserted), affected iff EVR < F.
    const candidates: { pkg: string; id: string; installed: string; fixed: string }[] = [];
    for (const rec of records) {
      for (const a of rec.affected ?? []) {
        const q = img.finalQa.find((x) => x.name === a.package?.name);
        if (!q || a.package?.ecosystem !== 'AlmaLinux:9') continue;
        for (const range of a.ranges ?? []) {
          expect(range.events.map((e) => Object.keys(e)[0])).toEqual(['introduced', 'fixed']);
          expect(range.events[0]).toEqual({ introduced: '0' });
          candidates.push({ pkg: q.name, id: rec.id, installed: evr(q.epoch, q.vr), fixed: withEpoch(range.events[1]!.fixed!) });
        }
      }
    }
    const cmp = rpmVercmp(candidates.map((c) => [c.installed, c.fixed]));
    const expected = [...new Set(candidates.filter((_, i) => cmp[i]! < 0).map((c) => `${c.pkg} ${c.id}`))].sort();
    // The corpus holds advisories for both packages; epoch 1 lifts less above every one of them.
    expect(candidates.some((c) => c.pkg === 'less')).toBe(true);
    expect(expected.some((e) => e.startsWith('less '))).toBe(false);
    expect(expected.some((e) => e.startsWith('expat '))).toBe(true);
    expect(ours).toEqual(expected);
    for (const f of report.findings!) {
      expect(f.status).toBe('fixed');
      expect(f.severitySource).toBe('vendor');
      expect(f.related?.length ?? 0).toBeGreaterThan(0);
      expect(f.layer.index).toBe(0);
    }
  });
});
