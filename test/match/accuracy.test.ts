// Issue 17's accuracy gaps on real OSV records: the Go platform filter (govulncheck's module-level
// rule), `versions` lists compared by the ecosystem's equality, and versions the ecosystem rejects
// (never a guessed finding: a warning and an unchecked package instead).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchPackages } from '../../src/match/matcher.js';
import type { OsvRecord } from '../../src/model/osv.js';
import type { LayerRef, Package, PackageType } from '../../src/model/package.js';
import { affects } from '../../src/version/index.js';
import { zipOf as zipFile } from '../helpers/zip.js';
import { javaArchiveCataloger } from '../../src/inventory/lang/index.js';
import { memorySource } from '../helpers/memory-source.js';
import { run, walked } from '../inventory/lang/helpers.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';

const layer: LayerRef = { index: 0, digest: 'sha256:aa', diffId: 'sha256:bb' };
const load = (dir: string, id: string): OsvRecord => JSON.parse(readFileSync(shared('data', 'osv', dir, `${id}.json`), 'utf8')) as OsvRecord;

function pkg(type: PackageType, ecosystem: string, name: string, version: string, extra: Partial<Package> = {}): Package {
  return { name, version, type, ecosystem, purl: `pkg:${type}/${name}@${version}`, path: '/app', layer, foundBy: 'test', ...extra };
}
const goPkg = (name: string, version: string, os: string, arch: string): Package =>
  pkg('golang', 'Go', name, version, { platform: { os, arch } });

describe.skipIf(!HAVE_SHARED)('Go: advisories about code that exists only on other platforms', () => {
  const ids = ['GO-2025-3750', 'GO-2022-0477', 'GO-2025-3447', 'GO-2022-0229'];
  const records = () => memorySource(ids.map((id) => load('go-vulndb', id)));

  it('a linux/amd64 stdlib gets none of the Windows-only or ppc64le-only records', async () => {
    // go1.17.10 is inside every one of these ranges; GO-2022-0229 (crypto/x509, no goos) applies.
    const { findings } = await matchPackages([goPkg('stdlib', 'v1.17.10', 'linux', 'amd64')], records());
    expect(findings.flatMap((f) => f.records)).toEqual([]);
    const { findings: old } = await matchPackages([goPkg('stdlib', 'v1.12.15', 'linux', 'amd64')], records());
    expect(old.flatMap((f) => f.records)).toEqual(['GO-2022-0229']);
  });

  it('the same stdlib built for windows/amd64 or linux/ppc64le gets its records', async () => {
    const win = await matchPackages([goPkg('stdlib', 'v1.17.10', 'windows', 'amd64')], records());
    expect(win.findings.flatMap((f) => f.records).sort()).toEqual(['GO-2022-0477', 'GO-2025-3750']);
    const ppc = await matchPackages([goPkg('stdlib', 'v1.17.10', 'linux', 'ppc64le')], records());
    expect(ppc.findings.flatMap((f) => f.records)).toEqual(['GO-2025-3447']);
  });

  it('an unknown platform (an SBOM entry) keeps every record, as govulncheck does for an empty GOOS', async () => {
    const { findings } = await matchPackages([pkg('golang', 'Go', 'stdlib', 'v1.17.10')], records());
    expect(findings.flatMap((f) => f.records).sort()).toEqual(['GO-2022-0477', 'GO-2025-3447', 'GO-2025-3750']);
  });

  it('golang.org/x/crypto GO-2024-2961 (acme/autocert on windows) does not reach linux binaries', async () => {
    const db = memorySource([load('go-vulndb', 'GO-2024-2961')]);
    const v = 'v0.0.0-20220315160706-3147a52a75dd';
    expect((await matchPackages([goPkg('golang.org/x/crypto', v, 'linux', 'amd64')], db)).findings).toEqual([]);
    expect((await matchPackages([goPkg('golang.org/x/crypto', v, 'windows', 'arm64')], db)).findings.map((f) => f.id)).toEqual(['CVE-2022-30636']);
  });

  it('a record whose imports name no platform, or that has no imports, applies everywhere', async () => {
    const noPlatform = load('go-vulndb', 'GO-2022-0229');
    expect(noPlatform.affected![0]!.ecosystem_specific).toHaveProperty('imports');
    const bare: OsvRecord = { ...noPlatform, id: 'GO-TEST-BARE', affected: noPlatform.affected!.map(({ ecosystem_specific: _drop, ...a }) => a) };
    const { findings } = await matchPackages([goPkg('stdlib', 'v1.12.15', 'plan9', '386')], memorySource([noPlatform, bare]));
    expect(findings.flatMap((f) => f.records).sort()).toEqual(['GO-2022-0229', 'GO-TEST-BARE']);
  });
});

describe('`versions` lists compare by the ecosystem\'s equality', () => {
  const listed = (ecosystem: string, versions: string[]) => ({ package: { ecosystem, name: 'p' }, versions });

  it('PyPI: PEP 440 equality (packaging.version.Version ==)', () => {
    for (const v of ['5.0.0', '5.0', '5.00', '0!5.0', '5', 'v5.0', '5.0.0.0']) expect([v, affects(listed('PyPI', ['5.0']), v).affected]).toEqual([v, true]);
    for (const v of ['5.0.1-rc1', '5.0.1rc1', '5.0.1c1', '5.0.1.RC1', '5.0.1-rc.1']) expect([v, affects(listed('PyPI', ['5.0.1c1']), v).affected]).toEqual([v, true]);
    for (const v of ['5.0.1', '5.0.post0', '1!5.0', '5.0+local', '5.0rc1']) expect([v, affects(listed('PyPI', ['5.0']), v).affected]).toEqual([v, false]);
  });

  it('npm: SemVer ignores build metadata and a v prefix', () => {
    for (const v of ['1.2.3', 'v1.2.3', '1.2.3+build.7', '=1.2.3']) expect([v, affects(listed('npm', ['1.2.3']), v).affected]).toEqual([v, true]);
    expect(affects(listed('npm', ['1.2.3+exp']), '1.2.3').affected).toBe(true);
    expect(affects(listed('npm', ['1.2.3']), '1.2.3-0').affected).toBe(false);
  });

  it('Go and crates.io: SemVer precedence', () => {
    expect(affects(listed('Go', ['v1.2.3']), 'v1.2.3+incompatible').affected).toBe(true);
    expect(affects(listed('crates.io', ['1.2.3+meta']), '1.2.3').affected).toBe(true);
    expect(affects(listed('crates.io', ['1.2.3']), '1.2.4').affected).toBe(false);
  });

  it.skipIf(!HAVE_SHARED)('a real plone record (PYSEC-2021-80) listing X.Y.0 matches X.Y', () => {
    const rec = load('pypa-pysec', 'PYSEC-2021-80');
    const a = rec.affected!.find((x) => (x.versions ?? []).some((v) => /^\d+\.\d+\.0$/.test(v)))!;
    const v = a.versions!.find((x) => /^\d+\.\d+\.0$/.test(x))!;
    const short = v.replace(/\.0$/, '');
    expect(a.versions).not.toContain(short);
    expect(affects({ package: a.package, versions: a.versions }, short).affected).toBe(true);
  });
});

describe('versions the ecosystem rejects never produce a guessed finding', () => {
  it.skipIf(!HAVE_SHARED)('plone 4.3b1.0 (not PEP 440): no finding from ranges starting at 0, one warning, listed unchecked', async () => {
    const ids = ['PYSEC-2021-110', 'PYSEC-2021-80', 'PYSEC-2020-86', 'PYSEC-2017-63', 'PYSEC-2021-79', 'PYSEC-2020-218'];
    const db = memorySource(ids.map((id) => load('pypa-pysec', id)));
    const plone = pkg('pypi', 'PyPI', 'plone', '4.3b1.0');
    const r = await matchPackages([plone], db);
    expect(r.findings).toEqual([]);
    expect(r.warnings.filter((w) => w.code === 'version.invalid')).toHaveLength(1);
    expect(r.warnings[0]!.message).toMatch(/plone 4\.3b1\.0 not checked against \d+ advisory ranges/);
    expect(r.unchecked).toEqual([{ purl: plone.purl, ecosystem: 'PyPI', code: 'version.invalid', reason: expect.stringMatching(/not valid in PyPI/) }]);
    // The same records do match a valid version in their ranges.
    const ok = await matchPackages([pkg('pypi', 'PyPI', 'plone', '4.3b1')], db);
    expect(ok.findings.length).toBeGreaterThan(0);
    expect(ok.unchecked).toEqual([]);
  });

  it('tensorflow 2.2.0rc0.0: an exact versions-list hit still counts, the ranges are not guessed', async () => {
    const rec: OsvRecord = {
      id: 'PYSEC-TEST-1', modified: '2024-01-01T00:00:00Z',
      affected: [
        { package: { ecosystem: 'PyPI', name: 'tensorflow' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.2.1' }] }] },
      ],
    };
    const listedRec: OsvRecord = { ...rec, id: 'PYSEC-TEST-2', affected: [{ ...rec.affected![0]!, versions: ['2.2.0rc0.0'] }] };
    const tf = pkg('pypi', 'PyPI', 'tensorflow', '2.2.0rc0.0');
    const r = await matchPackages([tf], memorySource([rec, listedRec]));
    expect(r.findings.map((f) => f.id)).toEqual(['PYSEC-TEST-2']);
    expect(r.unchecked.map((u) => u.code)).toEqual(['version.invalid']);
  });

  it('an invalid event is a warning about that record; the package itself stays checked', async () => {
    const rec: OsvRecord = {
      id: 'PYSEC-TEST-3', modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'PyPI', name: 'p' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2019-09-12' }] }] }],
    };
    const r = await matchPackages([pkg('pypi', 'PyPI', 'p', '1.0')], memorySource([rec]));
    expect(r.findings).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/not comparable with PYSEC-TEST-3/)]);
    expect(r.unchecked).toEqual([]);
  });
});

const zipOf = (entries: [string, string][]): Promise<Buffer> => zipFile(entries.map(([name, text]) => ({ name, data: Buffer.from(text) })));

describe('Java coordinates: Maven facts before OSGi headers', () => {
  const osgi = 'Manifest-Version: 1.0\nBundle-SymbolicName: org.example.core;singleton:=true\nBundle-Version: 1.0.0\n\n';

  it('a pom.properties without groupId takes it from its META-INF/maven/<groupId>/<artifactId>/ path', async () => {
    const jar = await zipOf([
      ['META-INF/MANIFEST.MF', osgi],
      ['META-INF/maven/com.example/example-core/pom.properties', 'artifactId=example-core\nversion=2.4.1\n'],
    ]);
    const { packages } = await run(javaArchiveCataloger, [walked('/usr/share/java/example-core.jar', jar)]);
    expect(packages.map((p) => p.purl)).toEqual(['pkg:maven/com.example/example-core@2.4.1']);
  });

  it('a META-INF/maven/<g>/<a>/pom.xml without properties names the artifact; the version is the manifest\'s', async () => {
    const jar = await zipOf([
      ['META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\nImplementation-Version: 2.4.1\nBundle-SymbolicName: org.example.core\nBundle-Version: 1.0.0\n\n'],
      ['META-INF/maven/com.example/example-core/pom.xml', '<project/>'],
    ]);
    const { packages } = await run(javaArchiveCataloger, [walked('/usr/share/java/example-core.jar', jar)]);
    expect(packages.map((p) => p.purl)).toEqual(['pkg:maven/com.example/example-core@2.4.1']);
  });

  it('3.11.500.qualifier (an unexpanded OSGi placeholder) is never placed in a range: warning, unchecked', async () => {
    const jar = await zipOf([['META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\nBundle-SymbolicName: org.eclipse.jdt.core\nBundle-Version: 3.11.500.qualifier\n\n']]);
    const { packages } = await run(javaArchiveCataloger, [walked('/opt/eclipse/plugins/jdt-core.jar', jar)]);
    expect(packages.map((p) => p.version)).toEqual(['3.11.500.qualifier']);
    const rec: OsvRecord = {
      id: 'GHSA-test-0001', modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'Maven', name: packages[0]!.name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.12.0' }] }] }],
    };
    const r = await matchPackages(packages, memorySource([rec]));
    expect(r.findings).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/qualifier.*not a release version/)]);
    expect(r.unchecked.map((u) => [u.ecosystem, u.code])).toEqual([['Maven', 'version.invalid']]);
    // A release version of the same artifact is matched.
    expect((await matchPackages([{ ...packages[0]!, version: '3.11.500' }], memorySource([rec]))).findings).toHaveLength(1);
  });
});
