// A realistic scan Report to feed the encoders: a Debian 12 image with three layers, deb packages
// with purls, findings with real CVE ids and CVSS vectors, and a policy Decision.
import { findingKey, type Finding, type Severity } from '../../src/model/finding.js';
import type { Decision } from '../../src/model/decision.js';
import { parsePolicy } from '../../src/policy/load.js';
import { decide } from '../../src/policy/decide.js';
import { parseVex } from '../../src/policy/vex.js';
import type { Package } from '../../src/model/package.js';
import type { Report, ReportLayer } from '../../src/model/report.js';

const LAYERS: ReportLayer[] = [
  {
    index: 0,
    digest: 'sha256:1f3b6e0bd2e1aa4c9a0b7bbf60c9e0e5c54e6b31b8a2d4b1f0c3e1f26a0e9d11',
    diffId: 'sha256:7e8f1c2f0d1b35f6a25a3a4d6d8cbe4ab6d7e2d0c7d9d4e6f1b2a3c4d5e6f701',
    createdBy: '# debian.sh --arch \'amd64\' out/ \'bookworm\' \'@1719792000\'',
    size: 29_126_484,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  {
    index: 1,
    digest: 'sha256:2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f30',
    diffId: 'sha256:8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a90',
    createdBy: 'RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/* # buildkit',
    size: 10_412_331,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  {
    index: 2,
    digest: 'sha256:3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b52',
    diffId: 'sha256:9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b01',
    createdBy: 'COPY app/ /srv/app/ # buildkit',
    size: 1_204_118,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
];

function deb(name: string, version: string, layer: number, extra: Partial<Package> = {}): Package {
  const { createdBy, digest, diffId, index } = LAYERS[layer]!;
  const source = extra.sourceName ?? name;
  const srcQual = source !== name ? `&upstream=${encodeURIComponent(source)}` : '';
  return {
    name,
    version,
    type: 'deb',
    ecosystem: 'Debian:12',
    purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=amd64${srcQual}&distro=debian-12`,
    sourceName: source,
    sourceVersion: version,
    arch: 'amd64',
    licenses: [],
    path: '/var/lib/dpkg/status',
    layer: { index, digest, diffId, createdBy },
    foundBy: 'dpkg',
    ...extra,
  };
}

export function samplePackages(): Package[] {
  return [
    deb('libc6', '2.36-9+deb12u4', 0, { sourceName: 'glibc', licenses: ['LGPL-2.1-or-later', 'GPL-2.0-only'] }),
    deb('libssl3', '3.0.11-1~deb12u2', 0, { sourceName: 'openssl', licenses: ['Apache-2.0'], dependsOn: ['pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12'] }),
    deb('zlib1g', '1:1.2.13.dfsg-1', 0, { sourceName: 'zlib', licenses: ['Zlib'], dependsOn: ['libc6'] }),
    deb('perl-base', '5.36.0-7+deb12u1', 0, { sourceName: 'perl', licenses: ['GPL-1.0-or-later OR Artistic-1.0-Perl'] }),
    deb('curl', '7.88.1-10+deb12u5', 1, { licenses: ['curl'], dependsOn: ['libcurl4'] }),
    deb('libcurl4', '7.88.1-10+deb12u5', 1, { sourceName: 'curl', licenses: ['curl'], dependsOn: ['libssl3', 'zlib1g', 'libc6'] }),
    deb('ca-certificates', '20230311', 1, { licenses: ['GPL-2+', 'MPL-2.0'], arch: 'all' }),
    {
      name: 'lodash',
      version: '4.17.20',
      type: 'npm',
      ecosystem: 'npm',
      purl: 'pkg:npm/lodash@4.17.20',
      licenses: ['MIT'],
      path: '/srv/app/node_modules/lodash/package.json',
      layer: { index: 2, digest: LAYERS[2]!.digest, diffId: LAYERS[2]!.diffId, createdBy: LAYERS[2]!.createdBy },
      foundBy: 'npm',
    },
  ];
}

interface FindingSpec {
  id: string;
  pkg: string;
  severity: Severity;
  status: Finding['status'];
  fixed?: string[];
  cvss?: Finding['cvss'];
  aliases?: string[];
  summary?: string;
  severitySource?: Finding['severitySource'];
  extra?: Partial<Finding>;
}

const FINDINGS: FindingSpec[] = [
  {
    id: 'CVE-2023-38545', pkg: 'libcurl4', severity: 'CRITICAL', status: 'fixed', fixed: ['7.88.1-10+deb12u4'],
    summary: 'SOCKS5 heap buffer overflow',
    cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }],
    aliases: ['DEBIAN-CVE-2023-38545'], severitySource: 'cvss',
  },
  {
    id: 'CVE-2024-2961', pkg: 'libc6', severity: 'HIGH', status: 'fixed', fixed: ['2.36-9+deb12u7'],
    summary: 'glibc iconv ISO-2022-CN-EXT out-of-bounds write',
    cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 8.1, source: 'nvd' }],
    aliases: ['DSA-5673-1'], severitySource: 'nvd',
    extra: {
      kev: { dateAdded: '2024-05-21', dueDate: '2024-06-11', knownRansomwareCampaignUse: 'Unknown', vulnerabilityName: 'GNU C Library iconv Out-of-Bounds Write' },
      epss: { score: 0.93512, percentile: 0.99812, date: '2025-01-15' },
    },
  },
  {
    id: 'CVE-2024-5535', pkg: 'libssl3', severity: 'MEDIUM', status: 'fixed', fixed: ['3.0.14-1~deb12u1'],
    summary: 'SSL_select_next_proto buffer overread',
    cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H', score: 9.1, source: 'nvd' }],
    severitySource: 'vendor',
  },
  {
    id: 'CVE-2023-45853', pkg: 'zlib1g', severity: 'CRITICAL', status: 'will_not_fix',
    summary: 'MiniZip integer overflow in zipOpenNewFileInZip4_64',
    cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }],
    severitySource: 'cvss',
  },
  {
    id: 'CVE-2023-31484', pkg: 'perl-base', severity: 'HIGH', status: 'affected',
    summary: 'CPAN.pm does not verify TLS certificates',
    cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N', score: 8.1, source: 'nvd' }],
  },
  {
    id: 'CVE-2024-2379', pkg: 'curl', severity: 'LOW', status: 'affected',
    summary: 'QUIC certificate check bypass with wolfSSL',
    cvss: [{ version: '4.0', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', score: 6.9, source: 'nvd' }],
  },
  {
    id: 'CVE-2021-23337', pkg: 'lodash', severity: 'HIGH', status: 'fixed', fixed: ['4.17.21'],
    summary: 'Command injection in lodash template',
    cvss: [
      { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', score: 7.2, source: 'GHSA' },
      { version: '2.0', vector: 'AV:N/AC:L/Au:S/C:P/I:P/A:P', score: 6.5, source: 'nvd' },
    ],
    aliases: ['GHSA-35jh-r3h4-6jhm'],
  },
  {
    id: 'TEMP-0517018-A83CE6', pkg: 'ca-certificates', severity: 'UNKNOWN', status: 'affected', severitySource: 'none',
  },
];

export function sampleFindings(packages = samplePackages()): Finding[] {
  return FINDINGS.map((s) => {
    const pkg = packages.find((p) => p.name === s.pkg)!;
    return {
      id: s.id,
      aliases: s.aliases ?? [],
      summary: s.summary,
      package: pkg,
      status: s.status,
      fixedVersions: s.fixed ?? [],
      severity: s.severity,
      severitySource: s.severitySource ?? 'vendor',
      cvss: s.cvss ?? [],
      published: '2023-10-11T14:15:10Z',
      modified: '2024-11-21T08:12:05Z',
      references: [advisory(s.id), `https://security-tracker.debian.org/tracker/${s.id}`],
      layer: pkg.layer,
      records: [`DEBIAN-${s.id}`],
      ...s.extra,
    };
  });
}

function advisory(id: string): string {
  return id.startsWith('CVE-') ? `https://nvd.nist.gov/vuln/detail/${id}` : `https://osv.dev/vulnerability/${id}`;
}

// The sample's gate, as a user would write it: decide() turns it (with the VEX document below)
// into the Decision, so encoders are tested on the shapes the policy engine really produces.
const SAMPLE_POLICY = `apiVersion: portcullis.dev/v1
kind: Policy
metadata:
  name: sample
spec:
  rules:
    - id: kev-always-block
      description: Known exploited vulnerability
      action: block
      when:
        kev: true
    - id: fixable-high
      description: A fix exists for a HIGH or CRITICAL vulnerability
      action: block
      when:
        severity: [CRITICAL, HIGH]
        status: fixed
  image:
    - id: no-root-user
      description: image runs as root (config.User is empty)
      action: block
      when:
        runsAsRoot: true
  exceptions:
    - id: CVE-2023-31484
      package: perl-base
      reason: CPAN is never run in this image
      owner: platform-team
      expires: "2099-12-31"
    - id: CVE-2024-5535
      package: libssl3
      reason: waiting for upstream openssl fix
      owner: platform-team
      expires: "2024-12-31"
`;

/** OpenVEX statements: not_affected with a justification, fixed, and under_investigation. */
export const SAMPLE_VEX = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.com/vex/app-1.4.2',
  author: 'platform-team',
  timestamp: '2025-01-18T00:00:00Z',
  version: 1,
  statements: [
    {
      vulnerability: { name: 'CVE-2023-45853' },
      products: [{ '@id': 'pkg:oci/app', subcomponents: [{ '@id': 'pkg:deb/debian/zlib1g' }] }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_present',
      impact_statement: 'MiniZip is not built into Debian\'s zlib1g',
    },
    { vulnerability: { name: 'CVE-2024-2379' }, products: [{ '@id': 'pkg:deb/debian/curl' }], status: 'fixed' },
    { vulnerability: { name: 'TEMP-0517018-A83CE6' }, products: [{ '@id': 'pkg:deb/debian/ca-certificates' }], status: 'under_investigation' },
  ],
};

const NOW = new Date('2025-01-20T10:11:12.000Z');

/** The sample gate decided by decide(): blocks, warnings, an exception, an expired one, three VEX states. */
export function sampleDecision(findings: Finding[], report?: Report): Decision {
  const { issues, set } = parsePolicy(SAMPLE_POLICY, '.portcullis.yaml', '.portcullis.yaml', '/srv/app/.portcullis.yaml');
  if (issues.length) throw new Error(`sample policy: ${JSON.stringify(issues)}`);
  const vex = parseVex(SAMPLE_VEX, '.portcullis/vex.json');
  const subject: Report = { ...(report ?? sampleReport({ sbom: true })), findings };
  return decide(subject, set, { now: NOW, vex: [vex] });
}

export interface SampleOptions {
  /** Omit findings and decision, like `portcullis sbom`. */
  sbom?: boolean;
  /** Omit the decision (a scan without policy). */
  noDecision?: boolean;
}

export function sampleReport(opts: SampleOptions = {}): Report {
  const packages = samplePackages();
  const report: Report = {
    schemaVersion: '1.0',
    tool: { name: 'portcullis', version: '0.1.0' },
    createdAt: '2025-01-20T10:11:12.000Z',
    image: {
      source: 'registry.example.com/team/app:1.4.2',
      sourceType: 'registry',
      manifestDigest: 'sha256:5c1b3a8c7d4f2e1b0a9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f71',
      configDigest: 'sha256:e4c2b1a09f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d29',
      tags: ['registry.example.com/team/app:1.4.2'],
      repository: 'registry.example.com/team/app',
      config: {
        os: 'linux',
        architecture: 'amd64',
        env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        cmd: ['node', '/srv/app/server.js'],
        workingDir: '/srv/app',
        labels: { 'org.opencontainers.image.source': 'https://github.com/example/app' },
        created: '2025-01-19T08:00:00Z',
        history: [
          { created: '2024-06-13T00:00:00Z', createdBy: LAYERS[0]!.createdBy, emptyLayer: false, layerIndex: 0 },
          { created: '2024-06-13T00:00:00Z', createdBy: 'CMD ["bash"]', emptyLayer: true },
          { created: '2025-01-19T08:00:00Z', createdBy: LAYERS[1]!.createdBy, emptyLayer: false, layerIndex: 1 },
          { created: '2025-01-19T08:00:00Z', createdBy: 'WORKDIR /srv/app', emptyLayer: true },
          { created: '2025-01-19T08:00:00Z', createdBy: LAYERS[2]!.createdBy, emptyLayer: false, layerIndex: 2 },
          { created: '2025-01-19T08:00:00Z', createdBy: 'CMD ["node" "/srv/app/server.js"]', emptyLayer: true },
        ],
      },
    },
    os: { id: 'debian', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)', detectedFrom: '/etc/os-release' },
    layers: LAYERS.map((l) => ({ ...l })),
    packages,
    db: {
      location: 'file:/home/ci/.cache/portcullis/db.sqlite',
      builtAt: '2025-01-20T06:00:00Z',
      updatedAt: '2025-01-20T05:30:00Z',
      sources: [{ name: 'osv:Debian', fetchedAt: '2025-01-20T05:30:00Z', records: 48211 }, { name: 'osv:npm', fetchedAt: '2025-01-20T05:31:00Z', records: 19002 }],
    },
    warnings: [
      { code: 'dpkg.stanza', message: 'stanza without Package field skipped', path: '/var/lib/dpkg/status', layer: 0 },
      { code: 'npm.package-json', message: 'invalid JSON in package.json', path: '/srv/app/node_modules/broken/package.json', layer: 2 },
    ],
  };
  if (opts.sbom) return report;
  report.findings = sampleFindings(packages);
  if (!opts.noDecision) report.decision = sampleDecision(report.findings, report);
  return report;
}

/** Hostile strings from an untrusted image in every place a package name or text can appear. */
export const HOSTILE = '<script>alert(1)</script>|]]>&"\'\u0000\u0007\u001b[31m`*_[x](javascript:alert(1))\u2028';

export function hostileReport(): Report {
  const report = sampleReport();
  const pkg = report.packages[0]!;
  pkg.name = `evil${HOSTILE}`;
  pkg.version = `1.0${HOSTILE}`;
  pkg.path = `/var/lib/${HOSTILE}/status`;
  pkg.licenses = [HOSTILE];
  pkg.sourceName = HOSTILE;
  for (const f of report.findings!) {
    if (f.package === pkg) {
      f.summary = `summary ${HOSTILE}`;
      f.fixedVersions = [`2.0${HOSTILE}`];
      f.references = [`https://example.com/${HOSTILE}`];
    }
  }
  report.layers[0]!.createdBy = `RUN echo ${HOSTILE}`;
  report.image.config.history[0]!.createdBy = `RUN echo ${HOSTILE}`;
  report.warnings.push({ code: 'x', message: HOSTILE, path: HOSTILE });
  // The decision map is keyed by the package's purl and path, which did not change for purl.
  report.decision = sampleDecision(report.findings!, report);
  report.decision.byFinding[findingKey(report.findings!.find((f) => f.package === pkg)!)]!.reason = HOSTILE;
  return report;
}

/** A big scan: `n` findings over many packages, for size bounds. */
export function hugeReport(n: number): Report {
  const report = sampleReport();
  const base = report.findings![0]!;
  const findings: Finding[] = [];
  const packages: Package[] = [];
  const sev: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
  for (let i = 0; i < n; i++) {
    const pkg = { ...base.package, name: `libpkg${i % 997}`, purl: `pkg:deb/debian/libpkg${i % 997}@1.${i}?arch=amd64`, version: `1.${i}` };
    if (i < 997) packages.push(pkg);
    findings.push({ ...base, id: `CVE-2024-${String(10000 + i)}`, package: pkg, severity: sev[i % 5]!, fixedVersions: [`1.${i}-1`] });
  }
  report.packages = packages;
  report.findings = findings;
  report.decision = sampleDecision(findings, report);
  for (const f of findings) report.decision.byFinding[findingKey(f)] = { action: i2a(f), decidedBy: 'rule', rule: 'sev', source: 'p.yaml' };
  report.decision.counts = { block: 0, warn: 0, ignore: 0 };
  for (const d of Object.values(report.decision.byFinding)) report.decision.counts[d.action] += 1;
  return report;
}

function i2a(f: Finding): 'block' | 'warn' | 'ignore' {
  return f.severity === 'CRITICAL' || f.severity === 'HIGH' ? 'block' : f.severity === 'LOW' ? 'ignore' : 'warn';
}
