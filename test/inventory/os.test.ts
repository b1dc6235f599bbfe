import { describe, expect, it } from 'vitest';
import type { WalkedFile } from '../../src/inventory/cataloger.js';
import { detectOs, parseRedhatRelease } from '../../src/inventory/os-detect.js';
import { osvEcosystemFor } from '../../src/inventory/os-ecosystem.js';
import { parseOsRelease } from '../../src/inventory/os-release.js';

const layer = { index: 0, digest: 'sha256:0', diffId: 'sha256:0' };
const file = (path: string, text: string): WalkedFile => ({ path, layer, size: text.length, mode: 0o644, data: Buffer.from(text) });

describe('os-release parsing', () => {
  it('handles quotes, escapes, comments and blank lines', () => {
    const kv = parseOsRelease('# comment\n\nNAME="Debian GNU/Linux"\nID=debian\nVERSION_ID=\'12\'\nPRETTY_NAME="say \\"hi\\""\nBAD LINE\n');
    expect(kv).toEqual({ NAME: 'Debian GNU/Linux', ID: 'debian', VERSION_ID: '12', PRETTY_NAME: 'say "hi"' });
  });
});

describe('detectOs', () => {
  it('prefers /etc/os-release, then /usr/lib/os-release', () => {
    const os = detectOs([
      file('/usr/lib/os-release', 'ID=other\n'),
      file('/etc/os-release', 'ID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nID_LIKE=debian\n'),
    ]);
    expect(os).toEqual({ id: 'ubuntu', versionId: '22.04', versionCodename: 'jammy', idLike: ['debian'], detectedFrom: '/etc/os-release' });
    expect(detectOs([file('/usr/lib/os-release', 'ID="alpine"\nVERSION_ID=3.20.1\n')])).toMatchObject({ id: 'alpine', detectedFrom: '/usr/lib/os-release' });
  });

  it('falls back to /etc/alpine-release and /etc/debian_version', () => {
    expect(detectOs([file('/etc/alpine-release', '3.19.1\n')])).toEqual({ id: 'alpine', versionId: '3.19.1', detectedFrom: '/etc/alpine-release' });
    expect(detectOs([file('/etc/debian_version', '12.5\n')])).toEqual({ id: 'debian', versionId: '12', detectedFrom: '/etc/debian_version' });
    expect(detectOs([file('/etc/debian_version', 'trixie/sid\n')])).toEqual({ id: 'debian', versionCodename: 'trixie', detectedFrom: '/etc/debian_version' });
  });

  it.each([
    ['/etc/centos-release', 'CentOS Linux release 7.9.2009 (Core)', 'centos', '7.9.2009'],
    ['/etc/rocky-release', 'Rocky Linux release 9.3 (Blue Onyx)', 'rocky', '9.3'],
    ['/etc/almalinux-release', 'AlmaLinux release 8.9 (Midnight Oncilla)', 'almalinux', '8.9'],
    ['/etc/fedora-release', 'Fedora release 39 (Thirty Nine)', 'fedora', '39'],
    ['/etc/redhat-release', 'Red Hat Enterprise Linux release 9.4 (Plow)', 'rhel', '9.4'],
  ])('reads %s', (path, line, id, v) => {
    expect(detectOs([file(path, `${line}\n`)])).toMatchObject({ id, versionId: v, detectedFrom: path });
    expect(parseRedhatRelease('Something else entirely', path)).toBeUndefined();
  });

  it('recognises distroless (status.d, no os-release) with the Debian major from base-files', () => {
    const os = detectOs([file('/var/lib/dpkg/status.d/base', 'Package: base-files\nVersion: 12.4+deb12u5\n')]);
    expect(os).toEqual({ id: 'debian', versionId: '12', distroless: true, detectedFrom: '/var/lib/dpkg/status.d/base' });
    expect(detectOs([file('/var/lib/dpkg/status.d/libc6', 'Package: libc6\nVersion: 2.36-9\n')])).toEqual({
      id: 'debian',
      distroless: true,
      detectedFrom: '/var/lib/dpkg/status.d/',
    });
    expect(detectOs([file('/etc/debian_version', '11.9'), file('/var/lib/dpkg/status.d/x', 'Package: x\n')])).toMatchObject({
      id: 'debian',
      versionId: '11',
      distroless: true,
    });
  });

  it('returns undefined with no evidence', () => {
    expect(detectOs([])).toBeUndefined();
  });
});

describe('osvEcosystemFor', () => {
  it.each([
    [{ id: 'debian', versionId: '12' }, 'Debian:12'],
    [{ id: 'debian', versionId: '11.9' }, 'Debian:11'],
    [{ id: 'debian' }, ''],
    [{ id: 'ubuntu', versionId: '22.04' }, 'Ubuntu:22.04:LTS'],
    [{ id: 'ubuntu', versionId: '24.04' }, 'Ubuntu:24.04:LTS'],
    [{ id: 'ubuntu', versionId: '23.10' }, 'Ubuntu:23.10'],
    [{ id: 'ubuntu', versionId: '23.04' }, 'Ubuntu:23.04'],
    [{ id: 'alpine', versionId: '3.20.1' }, 'Alpine:v3.20'],
    [{ id: 'wolfi', versionId: '20230201' }, 'Wolfi'],
    [{ id: 'chainguard' }, 'Chainguard'],
    [{ id: 'almalinux', versionId: '9.4' }, 'AlmaLinux:9'],
    [{ id: 'rocky', versionId: '9.3' }, 'Rocky Linux:9'],
    [{ id: 'rhel', versionId: '9.4' }, 'Red Hat:enterprise_linux:9'],
    [{ id: 'opensuse-leap', versionId: '15.5' }, 'openSUSE:Leap 15.5'],
    [{ id: 'sles', versionId: '15.5' }, 'SUSE:Linux Enterprise Server 15 SP5'],
    [{ id: 'mariner', versionId: '2.0' }, 'Mariner:2.0'],
    [{ id: 'azurelinux', versionId: '3.0' }, 'Azure Linux:3.0'],
    [{ id: 'plan9', versionId: '4' }, ''],
  ])('%o → %s', (os, eco) => {
    expect(osvEcosystemFor({ detectedFrom: '/etc/os-release', ...os })).toBe(eco);
  });
  it('is empty without an OS', () => expect(osvEcosystemFor(undefined)).toBe(''));
});
