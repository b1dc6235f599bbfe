// Realistic findings and reports for policy tests (real CVE ids, Debian/npm purls).
import type { Finding, Severity } from '../../src/model/finding.js';
import type { ImageConfig } from '../../src/model/image.js';
import type { LayerRef, Package, PackageType } from '../../src/model/package.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../../src/model/report.js';

export function layer(index: number): LayerRef {
  const hex = String(index).repeat(64).slice(0, 64);
  return { index, digest: `sha256:${hex}`, diffId: `sha256:${hex}`, createdBy: index === 0 ? '# debian.sh --arch amd64 out/ bookworm' : 'RUN /bin/sh -c npm ci' };
}

export function pkg(type: PackageType, name: string, version: string, extra: Partial<Package> = {}): Package {
  const purl =
    type === 'deb' ? `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=amd64&distro=debian-12`
    : `pkg:${type}/${name.replace('@', '%40')}@${version}`;
  return {
    name, version, type, purl,
    ecosystem: type === 'deb' ? 'Debian:12' : type,
    sourceName: name,
    path: type === 'deb' ? '/var/lib/dpkg/status' : `/app/node_modules/${name}/package.json`,
    layer: layer(type === 'deb' ? 0 : 2),
    foundBy: type === 'deb' ? 'dpkg' : 'npm',
    ...extra,
  };
}

export function finding(id: string, severity: Severity, p: Package, extra: Partial<Finding> = {}): Finding {
  const fixedVersions = extra.fixedVersions ?? [];
  return {
    id,
    aliases: [],
    package: p,
    status: fixedVersions.length ? 'fixed' : 'affected',
    fixedVersions,
    severity,
    severitySource: 'vendor',
    cvss: [],
    references: [`https://nvd.nist.gov/vuln/detail/${id}`],
    layer: p.layer,
    records: [id],
    ...extra,
  };
}

export function report(findings: Finding[], config: Partial<ImageConfig> = {}, extra: Partial<Report> = {}): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'portcullis', version: 'test' },
    createdAt: '2025-06-01T00:00:00.000Z',
    image: {
      source: 'registry.example.com/team/app:1.4.2',
      sourceType: 'registry',
      manifestDigest: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      configDigest: 'sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752',
      tags: ['1.4.2'],
      repository: 'registry.example.com/team/app',
      config: { os: 'linux', architecture: 'amd64', env: [], labels: {}, history: [], ...config },
    },
    layers: [],
    packages: findings.map((f) => f.package),
    findings,
    warnings: [],
    ...extra,
  };
}

// A small, realistic Debian 12 + npm image's findings.
export const expat = finding('CVE-2024-45490', 'CRITICAL', pkg('deb', 'libexpat1', '2.5.0-1'), {
  aliases: ['DEBIAN-CVE-2024-45490'],
  fixedVersions: ['2.5.0-1+deb12u1'],
  cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }],
  published: '2024-08-30T03:15:03Z',
});
export const nghttp2 = finding('CVE-2023-44487', 'HIGH', pkg('deb', 'libnghttp2-14', '1.52.0-1'), {
  aliases: ['DEBIAN-CVE-2023-44487', 'GHSA-qppj-fm5r-hxr3'],
  kev: { dateAdded: '2023-10-10', dueDate: '2023-10-31' },
  epss: { score: 0.94, percentile: 0.999 },
  cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 7.5, source: 'nvd' }],
  published: '2023-10-10T14:15:10Z',
});
export const openssl = finding('CVE-2023-5678', 'MEDIUM', pkg('deb', 'libssl3', '3.0.11-1~deb12u2', { sourceName: 'openssl' }), {
  fixedVersions: ['3.0.13-1~deb12u1'],
  epss: { score: 0.0051, percentile: 0.76 },
  published: '2023-11-06T16:15:42Z',
});
export const apt = finding('CVE-2011-3374', 'LOW', pkg('deb', 'apt', '2.6.1'), { published: '2019-11-26T00:15:11Z' });
export const ansiRegex = finding('CVE-2021-3807', 'HIGH', pkg('npm', 'ansi-regex', '3.0.0', { dev: true }), {
  aliases: ['GHSA-93q8-gq69-wqmw'],
  fixedVersions: ['3.0.1'],
  epss: { score: 0.0068, percentile: 0.8 },
  published: '2021-09-17T07:15:09Z',
});
