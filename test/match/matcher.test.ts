import { describe, expect, it } from 'vitest';
import { matchPackages } from '../../src/match/matcher.js';
import type { OsvRecord } from '../../src/model/osv.js';
import type { LayerRef, Package } from '../../src/model/package.js';
import { memorySource } from '../helpers/memory-source.js';

const layer0: LayerRef = { index: 0, digest: 'sha256:aa', diffId: 'sha256:bb', createdBy: 'debootstrap' };
const layer1: LayerRef = { index: 1, digest: 'sha256:cc', diffId: 'sha256:dd', createdBy: 'RUN apt-get install' };

function deb(name: string, version: string, sourceName: string, sourceVersion: string, layer = layer0): Package {
  return {
    name, version, type: 'deb', ecosystem: 'Debian:12', sourceName, sourceVersion, arch: 'amd64',
    purl: `pkg:deb/debian/${name}@${version}?arch=amd64&distro=debian-12`, path: '/var/lib/dpkg/status', layer, foundBy: 'dpkg',
  };
}

function record(id: string, ecosystem: string, name: string, events: object[], extra: Partial<OsvRecord> = {}): OsvRecord {
  return {
    id, modified: '2024-01-01T00:00:00Z', published: '2023-01-01T00:00:00Z',
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
    ...extra,
  } as OsvRecord;
}

describe('distro semantics', () => {
  // e2fsprogs is the source of several binaries; Debian's records name the source package.
  const e2fs = [
    deb('e2fsprogs', '1.47.0-2', 'e2fsprogs', '1.47.0-2'),
    deb('libext2fs2', '1.47.0-2', 'e2fsprogs', '1.47.0-2'),
    deb('libss2', '1.47.0-2', 'e2fsprogs', '1.47.0-2'),
    deb('libcom-err2', '1.47.0-2', 'e2fsprogs', '1.47.0-2'),
  ];

  it('a record on a source package yields one finding per binary built from it', async () => {
    const db = memorySource([
      record('DEBIAN-CVE-2025-1111', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }, { fixed: '1.47.0-2+deb12u1' }], { upstream: ['CVE-2025-1111'] }),
    ]);
    const { findings } = await matchPackages(e2fs, db);
    expect(findings.map((f) => f.package.name).sort()).toEqual(['e2fsprogs', 'libcom-err2', 'libext2fs2', 'libss2']);
    for (const f of findings) {
      expect(f.id).toBe('CVE-2025-1111');
      expect(f.aliases).toEqual(['DEBIAN-CVE-2025-1111']);
      expect(f.status).toBe('fixed');
      expect(f.fixedVersions).toEqual(['1.47.0-2+deb12u1']);
    }
  });

  it('a backported fix (fixed at or below the installed version) yields nothing', async () => {
    const db = memorySource([
      record('DEBIAN-CVE-2022-1304', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }, { fixed: '1.46.5-2' }], { upstream: ['CVE-2022-1304'] }),
    ]);
    expect((await matchPackages(e2fs, db)).findings).toEqual([]);
  });

  it('an unfixed record yields status affected; distro states map to statuses', async () => {
    const unfixed = record('DEBIAN-CVE-2025-2222', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }], { upstream: ['CVE-2025-2222'] });
    const eol = record('DEBIAN-CVE-2025-3333', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }], { upstream: ['CVE-2025-3333'] });
    eol.affected![0].ecosystem_specific = { urgency: 'end-of-life' };
    const postponed = record('DEBIAN-CVE-2025-4444', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }], { upstream: ['CVE-2025-4444'] });
    postponed.affected![0].database_specific = { status: 'postponed' };
    const ignored = record('DEBIAN-CVE-2025-5555', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }], { upstream: ['CVE-2025-5555'] });
    ignored.affected![0].database_specific = { status: 'ignored' };
    const { findings } = await matchPackages([e2fs[0]], memorySource([unfixed, eol, postponed, ignored]));
    const byId = Object.fromEntries(findings.map((f) => [f.id, f.status]));
    expect(byId).toEqual({
      'CVE-2025-2222': 'affected',
      'CVE-2025-3333': 'end_of_life',
      'CVE-2025-4444': 'fix_deferred',
      'CVE-2025-5555': 'will_not_fix',
    });
  });

  it('never reports an ecosystem the image does not belong to', async () => {
    const db = memorySource([
      record('DEBIAN-CVE-2025-1111', 'Debian:11', 'e2fsprogs', [{ introduced: '0' }]),
      record('UBUNTU-CVE-2025-1111', 'Ubuntu:22.04:LTS', 'e2fsprogs', [{ introduced: '0' }]),
    ]);
    expect((await matchPackages(e2fs, db)).findings).toEqual([]);
  });

  it('a multi-CVE advisory folds into the per-CVE findings it covers, else stands alone', async () => {
    const a = record('DEBIAN-CVE-2025-1111', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }, { fixed: '1.47.0-2+deb12u1' }], { upstream: ['CVE-2025-1111'] });
    const b = record('DEBIAN-CVE-2025-1112', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }, { fixed: '1.47.0-2+deb12u1' }], { upstream: ['CVE-2025-1112'] });
    const dsa = record('DSA-9999-1', 'Debian:12', 'e2fsprogs', [{ introduced: '0' }, { fixed: '1.47.0-2+deb12u1' }], { upstream: ['CVE-2025-1111', 'CVE-2025-1112'] });
    const folded = await matchPackages([e2fs[0]], memorySource([a, b, dsa]));
    expect(folded.findings.map((f) => [f.id, f.aliases])).toEqual([
      ['CVE-2025-1111', ['DEBIAN-CVE-2025-1111', 'DSA-9999-1']],
      ['CVE-2025-1112', ['DEBIAN-CVE-2025-1112', 'DSA-9999-1']],
    ]);
    const alone = await matchPackages([e2fs[0]], memorySource([dsa]));
    expect(alone.findings.map((f) => [f.id, f.related])).toEqual([['DSA-9999-1', ['CVE-2025-1111', 'CVE-2025-1112']]]);
  });

  it('keeps the layer that introduced the package', async () => {
    const pkg = deb('curl', '7.88.1-10+deb12u5', 'curl', '7.88.1-10+deb12u5', layer1);
    const db = memorySource([record('DEBIAN-CVE-2024-2398', 'Debian:12', 'curl', [{ introduced: '0' }, { fixed: '7.88.1-10+deb12u6' }])]);
    const [f] = (await matchPackages([pkg], db)).findings;
    expect(f.layer).toEqual(layer1);
    expect(f.fixedVersions).toEqual(['7.88.1-10+deb12u6']);
  });

  it('Alpine matches on the origin', async () => {
    const pkg: Package = {
      name: 'libcrypto3', version: '3.1.4-r0', type: 'apk', ecosystem: 'Alpine:v3.19', sourceName: 'openssl',
      sourceVersion: '3.1.4-r0', purl: 'pkg:apk/alpine/libcrypto3@3.1.4-r0', path: '/lib/apk/db/installed', layer: layer0, foundBy: 'apk',
    };
    const db = memorySource([record('ALPINE-CVE-2023-5678', 'Alpine:v3.19', 'openssl', [{ introduced: '0' }, { fixed: '3.1.4-r1' }], { aliases: ['CVE-2023-5678'] })]);
    const [f] = (await matchPackages([pkg], db)).findings;
    expect([f.id, f.package.name, f.fixedVersions]).toEqual(['CVE-2023-5678', 'libcrypto3', ['3.1.4-r1']]);
  });

  it('RPM compares epochs and respects modularity streams', async () => {
    const bind: Package = {
      name: 'bind-libs', version: '32:9.16.23-18.el9_4.1', epoch: 32, type: 'rpm', ecosystem: 'AlmaLinux:9',
      sourceName: 'bind', sourceVersion: '32:9.16.23-18.el9_4.1', purl: 'pkg:rpm/almalinux/bind-libs@9.16.23-18.el9_4.1?epoch=32',
      path: '/var/lib/rpm/rpmdb.sqlite', layer: layer0, foundBy: 'rpm',
    };
    // Without the epoch the fixed version would look newer; with epoch 32 installed > 9.16.23-24 (epoch 0)… wrong data
    // must not be reported, right data must.
    const noEpoch = record('ALSA-2024:0001', 'AlmaLinux:9', 'bind-libs', [{ introduced: '0' }, { fixed: '9.16.23-24.el9_5' }]);
    const withEpoch = record('ALSA-2024:0002', 'AlmaLinux:9', 'bind-libs', [{ introduced: '0' }, { fixed: '32:9.16.23-24.el9_5' }]);
    const found = (await matchPackages([bind], memorySource([noEpoch, withEpoch]))).findings.map((f) => f.id);
    expect(found).toEqual(['ALSA-2024:0002']);

    const delve: Package = { ...bind, name: 'delve', version: '1.5.0-1.module_el8.4.0+2000+aaaa', epoch: undefined, sourceName: 'delve', ecosystem: 'AlmaLinux:8', modularityLabel: 'go-toolset:rhel8:8040020210000:abcd' };
    const modular = record('ALSA-2021:4156', 'AlmaLinux:8', 'delve', [{ introduced: '0' }, { fixed: '1.6.0-1.module_el8.5.0+2604+960c7771' }]);
    modular.affected![0].ecosystem_specific = { rpm_modularity: 'go-toolset:rhel8' };
    expect((await matchPackages([delve], memorySource([modular]))).findings).toHaveLength(1);
    expect((await matchPackages([{ ...delve, modularityLabel: 'go-toolset:rhel9:1:x' }], memorySource([modular]))).findings).toHaveLength(0);
    expect((await matchPackages([{ ...delve, modularityLabel: undefined }], memorySource([modular]))).findings).toHaveLength(0);
  });
});

describe('language packages, severity, dedup, enrichment', () => {
  const minimist: Package = {
    name: 'minimist', version: '1.2.5', type: 'npm', ecosystem: 'npm', purl: 'pkg:npm/minimist@1.2.5',
    path: '/app/node_modules/minimist/package.json', layer: layer1, foundBy: 'npm',
  };
  // CVE-2021-44906: prototype pollution in minimist < 1.2.6 (GHSA-xvch-5gv4-984h).
  const ghsa: OsvRecord = {
    id: 'GHSA-xvch-5gv4-984h', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2021-44906'], summary: 'Prototype Pollution in minimist',
    affected: [
      { package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.2.4' }] }] },
      { package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.2.6' }] }] },
    ],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    database_specific: { severity: 'CRITICAL' },
  };

  it('finds exactly the range that contains the version, with the right fix', async () => {
    const { findings } = await matchPackages([minimist], memorySource([ghsa]));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: 'CVE-2021-44906', aliases: ['GHSA-xvch-5gv4-984h'], fixedVersions: ['1.2.6'], severity: 'CRITICAL', severitySource: 'vendor' });
    expect(findings[0].cvss[0]).toMatchObject({ version: '3.1', score: 9.8 });
    expect((await matchPackages([{ ...minimist, version: '1.2.6' }], memorySource([ghsa]))).findings).toEqual([]);
  });

  it('--severity-source picks the opinion; CVSS v4 beats v3', async () => {
    const rec: OsvRecord = { ...ghsa, severity: [...ghsa.severity!, { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N' }] };
    const [byCvss] = (await matchPackages([minimist], memorySource([rec]), { severitySource: 'cvss' })).findings;
    expect([byCvss.severity, byCvss.severitySource, byCvss.cvss[0].version]).toEqual(['MEDIUM', 'cvss', '4.0']);
    const nvdOnly: OsvRecord = { ...ghsa, severity: undefined, database_specific: {} };
    const intel = { 'CVE-2021-44906': { nvd: [{ version: '3.1' as const, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 7.5, source: 'nvd' }] } };
    const [byNvd] = (await matchPackages([minimist], memorySource([nvdOnly], intel))).findings;
    expect([byNvd.severity, byNvd.severitySource]).toEqual(['HIGH', 'nvd']);
    const [none] = (await matchPackages([minimist], memorySource([nvdOnly]))).findings;
    expect([none.severity, none.severitySource]).toEqual(['UNKNOWN', 'none']);
  });

  it('one CVE through GHSA and PYSEC records is one finding with all aliases', async () => {
    const setuptools: Package = { name: 'setuptools', version: '65.5.0', type: 'pypi', ecosystem: 'PyPI', purl: 'pkg:pypi/setuptools@65.5.0', path: '/usr/lib/python3/dist-packages/setuptools-65.5.0.dist-info/METADATA', layer: layer0, foundBy: 'python' };
    const pysec = record('PYSEC-2022-43012', 'PyPI', 'setuptools', [{ introduced: '0' }, { fixed: '65.5.1' }], { aliases: ['CVE-2022-40897', 'GHSA-r9hx-vwmv-q579'] });
    const gh = record('GHSA-r9hx-vwmv-q579', 'PyPI', 'Setuptools', [{ introduced: '0' }, { fixed: '65.5.1' }], { aliases: ['CVE-2022-40897'] });
    const { findings } = await matchPackages([setuptools], memorySource([pysec, gh]));
    expect(findings.map((f) => [f.id, f.aliases, f.records])).toEqual([
      ['CVE-2022-40897', ['GHSA-r9hx-vwmv-q579', 'PYSEC-2022-43012'], ['GHSA-r9hx-vwmv-q579', 'PYSEC-2022-43012']],
    ]);
  });

  it('joins KEV and EPSS by CVE id; withdrawn records never match', async () => {
    const intel = { 'CVE-2021-44906': { kev: { dateAdded: '2024-01-02' }, epss: { score: 0.4, percentile: 0.97 } } };
    const [f] = (await matchPackages([minimist], memorySource([ghsa], intel))).findings;
    expect(f.kev).toEqual({ dateAdded: '2024-01-02' });
    expect(f.epss).toEqual({ score: 0.4, percentile: 0.97 });
    const withdrawn = { ...ghsa, withdrawn: '2024-02-02T00:00:00Z' };
    expect((await matchPackages([minimist], memorySource([withdrawn]))).findings).toEqual([]);
  });

  it('last_affected ranges include their bound and nothing past it', async () => {
    const rec = record('GHSA-test-last', 'npm', 'minimist', [{ introduced: '1.0.0' }, { last_affected: '1.2.5' }]);
    expect((await matchPackages([minimist], memorySource([rec]))).findings).toHaveLength(1);
    expect((await matchPackages([{ ...minimist, version: '1.2.6' }], memorySource([rec]))).findings).toHaveLength(0);
  });

  it('an invalid version is a warning, not a crash nor a guess', async () => {
    const bad = { ...minimist, version: 'not a version' };
    const { findings, warnings } = await matchPackages([bad], memorySource([record('GHSA-x', 'npm', 'minimist', [{ introduced: '0' }, { fixed: '1.2.6' }])]));
    expect(findings).toEqual([]);
    expect(warnings.map((w) => w.code)).toEqual(['version.invalid']);
  });
});
