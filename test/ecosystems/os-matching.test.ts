// OS ecosystems that were detected but never matched before issue 17: Photon OS (rpm versions) and
// MinimOS (apk versions) had no comparator, so every range was `version.invalid` and nothing
// matched; Debian testing/sid (no VERSION_ID) had no ecosystem at all. Records go through the real
// import path (files → `importFiles` → SQLite → `openLocalDb`), packages through the real OS
// detection (os-release text → detectOs → osvEcosystemFor) and through SBOM input (read-sbom).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecosystemSupport } from '../../src/ecosystems/index.js';
import type { WalkedFile } from '../../src/inventory/cataloger.js';
import { detectOs } from '../../src/inventory/os-detect.js';
import { osvEcosystemFor } from '../../src/inventory/os-ecosystem.js';
import { matchPackages } from '../../src/match/matcher.js';
import type { Package } from '../../src/model/package.js';
import { readSbomFile } from '../../src/sbom-input/read-sbom.js';
import { importFiles, openLocalDb, type LocalDb } from '../../src/vulndb/index.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';
import { readFileSync } from 'node:fs';

const layer = { index: 0, digest: 'sha256:0', diffId: 'sha256:0' };
const file = (path: string, text: string): WalkedFile => ({ path, layer, size: text.length, mode: 0o644, data: Buffer.from(text) });

// The shape Photon OS's own OSV advisories have (PHSA-<year>-<release>-<n>: affected package with
// `Photon OS:<release>`, a purl `pkg:rpm/vmware/NAME?distro=photon-N`, an ECOSYSTEM range fixed at
// an rpm version-release, `related` CVEs).
const PHOTON = {
  id: 'PHSA-2025-5.0-0400',
  modified: '2025-01-10T07:05:54Z',
  published: '2025-01-09T00:00:00Z',
  affected: [{
    package: { ecosystem: 'Photon OS:5.0', name: 'mysql', purl: 'pkg:rpm/vmware/mysql?distro=photon-5' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '8.0.40-1.ph5' }] }],
  }],
  references: [{ type: 'ADVISORY', url: 'https://github.com/vmware/photon/wiki/Security-Update-5.0-400' }],
  related: ['CVE-2024-21230'],
};
// The Chainguard/Wolfi advisory shape (CGA records: package with its apk purl, fixed at an apk
// `-rN` version), in the MinimOS ecosystem.
const MINIMOS = {
  id: 'MINI-2025-0001',
  modified: '2025-02-01T00:00:00Z',
  published: '2025-02-01T00:00:00Z',
  aliases: ['CVE-2024-12797'],
  affected: [{
    package: { ecosystem: 'MinimOS', name: 'openssl', purl: 'pkg:apk/minimos/openssl' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.4.1-r0' }] }],
  }],
};
const RECORDS = { 'photon.json': PHOTON, 'minimos.json': MINIMOS };

const PHOTON_OS_RELEASE = 'NAME="VMware Photon OS"\nVERSION="5.0"\nID=photon\nVERSION_ID=5.0\nPRETTY_NAME="VMware Photon OS/Linux"\n';
const MINIMOS_OS_RELEASE = 'ID=minimos\nNAME="MinimOS"\nPRETTY_NAME="MinimOS"\n';

function osPackage(type: 'rpm' | 'apk', name: string, version: string, ecosystem: string, sourceName = name): Package {
  return { name, version, type, ecosystem, purl: `pkg:${type}/x/${name}@${version}`, sourceName, sourceVersion: version, path: '/var/lib/db', layer, foundBy: type };
}

describe('Photon OS and MinimOS are matched', () => {
  let dir: string;
  let db: LocalDb;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-os-matching-'));
    mkdirSync(join(dir, 'records'));
    for (const [name, rec] of Object.entries(RECORDS)) writeFileSync(join(dir, 'records', name), JSON.stringify(rec));
    const stats = await importFiles(join(dir, 'db.sqlite'), [join(dir, 'records')]);
    expect(stats.invalid).toBe(0);
    db = openLocalDb(join(dir, 'db.sqlite'));
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!HAVE_SHARED)('the records are valid OSV (the official schema)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(shared('schemas', 'osv', 'osv-schema.json'), 'utf8')) as object);
    for (const rec of Object.values(RECORDS)) expect(validate(rec), JSON.stringify(validate.errors)).toBe(true);
  });

  it('an installed Photon OS 5.0 rpm below the fix is found; at the fix it is not; no version.invalid', async () => {
    const eco = osvEcosystemFor(detectOs([file('/etc/os-release', PHOTON_OS_RELEASE)]));
    expect(eco).toBe('Photon OS:5.0');
    const { findings, warnings } = await matchPackages(
      [osPackage('rpm', 'mysql', '8.0.39-1.ph5', eco), osPackage('rpm', 'mysql', '8.0.40-1.ph5', eco), osPackage('rpm', 'mysql', '8.0.40-2.ph5', eco)],
      db,
    );
    expect(warnings).toEqual([]);
    expect(findings.map((f) => `${f.id} ${f.package.version} ${f.fixedVersions.join()}`)).toEqual(['PHSA-2025-5.0-0400 8.0.39-1.ph5 8.0.40-1.ph5']);
  });

  it('an installed MinimOS apk below the fix is found by its origin; at the fix it is not', async () => {
    const eco = osvEcosystemFor(detectOs([file('/etc/os-release', MINIMOS_OS_RELEASE)]));
    expect(eco).toBe('MinimOS');
    const { findings, warnings } = await matchPackages(
      [osPackage('apk', 'libssl3', '3.4.0-r1', eco, 'openssl'), osPackage('apk', 'libcrypto3', '3.4.1-r0', eco, 'openssl')],
      db,
    );
    expect(warnings).toEqual([]);
    expect(findings.map((f) => `${f.id} ${f.package.name} ${f.package.version}`)).toEqual(['CVE-2024-12797 libssl3 3.4.0-r1']);
  });

  it('SBOM purls of both distros (as the records and Trivy write them) reach the same records', async () => {
    const sbom = join(dir, 'distros.cdx.json');
    writeFileSync(sbom, JSON.stringify({
      bomFormat: 'CycloneDX', specVersion: '1.6', version: 1,
      components: [
        { type: 'library', name: 'mysql', version: '8.0.39-1.ph5', purl: 'pkg:rpm/vmware/mysql@8.0.39-1.ph5?arch=x86_64&distro=photon-5' },
        { type: 'library', name: 'mysql', version: '8.0.39-1.ph5', purl: 'pkg:rpm/photon/mysql@8.0.39-1.ph5?arch=x86_64&distro=photon-5.0' },
        { type: 'library', name: 'openssl', version: '3.4.0-r1', purl: 'pkg:apk/minimos/openssl@3.4.0-r1?arch=x86_64' },
      ],
    }));
    const input = await readSbomFile(sbom);
    expect(input.packages.map((p) => p.ecosystem)).toEqual(['Photon OS:5.0', 'Photon OS:5.0', 'MinimOS']);
    const { findings, warnings } = await matchPackages(input.packages, db);
    expect(warnings).toEqual([]);
    expect(findings.map((f) => f.id).sort()).toEqual(['CVE-2024-12797', 'PHSA-2025-5.0-0400', 'PHSA-2025-5.0-0400']);
  });
});

// /usr/lib/os-release exactly as Debian ships it in base-files (apt-get download base-files from
// each suite, 2026-12): sid and forky carry the same base-files 14.2, whose os-release names the
// next release by codename only; trixie's 13.8+deb13u8 is a release with VERSION_ID.
const BASE_FILES_14_2 = `PRETTY_NAME="Debian GNU/Linux forky/sid"
NAME="Debian GNU/Linux"
VERSION_CODENAME=forky
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;
const BASE_FILES_13_8 = `PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
VERSION="13 (trixie)"
VERSION_CODENAME=trixie
DEBIAN_VERSION_FULL=13.8
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

describe('Debian and Ubuntu releases named by codename', () => {
  it('testing/sid (base-files 14.2: VERSION_CODENAME=forky, no VERSION_ID) is Debian:14', () => {
    const os = detectOs([file('/usr/lib/os-release', BASE_FILES_14_2), file('/etc/debian_version', 'forky/sid\n')]);
    expect(os).toMatchObject({ id: 'debian', versionCodename: 'forky' });
    expect(os?.versionId).toBeUndefined();
    expect(osvEcosystemFor(os)).toBe('Debian:14');
  });

  it('a release (base-files 13.8+deb13u8) keeps VERSION_ID', () => {
    expect(osvEcosystemFor(detectOs([file('/usr/lib/os-release', BASE_FILES_13_8)]))).toBe('Debian:13');
  });

  it('an SBOM purl whose distro names the codename (`debian-forky/sid`) is Debian:14 too', async () => {
    const { purlEcosystem } = await import('../../src/ecosystems/index.js');
    const { PackageURL } = await import('packageurl-js');
    expect(purlEcosystem(PackageURL.fromString('pkg:deb/debian/bash@5.2.37-1?arch=amd64&distro=debian-forky%2Fsid'))).toMatchObject({ ecosystem: 'Debian:14', name: 'bash' });
    expect(purlEcosystem(PackageURL.fromString('pkg:deb/debian/bash@5.2.37-1?distro=debian-sid'))).toMatchObject({ ecosystem: '' });
  });

  it('no os-release: /etc/debian_version "forky/sid" names the codename too', () => {
    expect(osvEcosystemFor(detectOs([file('/etc/debian_version', 'forky/sid\n')]))).toBe('Debian:14');
  });

  it('sid alone names no release: os-unknown, with the reason', () => {
    const os = { id: 'debian', versionCodename: 'sid', detectedFrom: '/etc/os-release' };
    expect(osvEcosystemFor(os)).toBe('');
    const pkg: Package = { name: 'bash', version: '5.2.37-1', type: 'deb', ecosystem: '', purl: 'pkg:deb/debian/bash@5.2.37-1', path: '/var/lib/dpkg/status', layer, foundBy: 'dpkg' };
    expect(ecosystemSupport(pkg, os)).toEqual({ status: 'os-unknown', name: 'Debian', reason: 'Debian (codename sid) names no release OSV publishes advisories under' });
  });

  it('Ubuntu without VERSION_ID uses VERSION_CODENAME', () => {
    expect(osvEcosystemFor(detectOs([file('/etc/os-release', 'PRETTY_NAME="Ubuntu Resolute Raccoon (development branch)"\nNAME="Ubuntu"\nVERSION_CODENAME=resolute\nID=ubuntu\nID_LIKE=debian\n')]))).toBe('Ubuntu:26.04:LTS');
    expect(osvEcosystemFor({ id: 'ubuntu', versionCodename: 'oracular', detectedFrom: 'x' })).toBe('Ubuntu:24.10');
  });

  it('Amazon Linux is detected but unsupported (OSV has no Amazon Linux ecosystem)', () => {
    const os = detectOs([file('/etc/os-release', 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\nPRETTY_NAME="Amazon Linux 2"\n')]);
    expect(osvEcosystemFor(os)).toBe('');
    const pkg: Package = { name: 'openssl-libs', version: '1:1.0.2k-24.amzn2.0.11', type: 'rpm', ecosystem: '', purl: 'pkg:rpm/amazon/openssl-libs@1.0.2k-24.amzn2.0.11?epoch=1&distro=amazon-2', path: '/var/lib/rpm', layer, foundBy: 'rpm-db' };
    const expected = { status: 'unsupported', name: 'Amazon Linux 2', reason: 'OSV has no Amazon Linux ecosystem (its advisories, ALAS, are not published as OSV)' };
    expect(ecosystemSupport(pkg, os)).toEqual(expected);
    // From an SBOM, the purl's namespace and distro say the same.
    expect(ecosystemSupport(pkg)).toEqual(expected);
    // Without os-release, /etc/system-release names it.
    const bare = detectOs([file('/etc/system-release', 'Amazon Linux release 2 (Karoo)\n')]);
    expect(bare).toMatchObject({ id: 'amzn', versionId: '2' });
    expect(ecosystemSupport(pkg, bare)).toEqual(expected);
  });
});
