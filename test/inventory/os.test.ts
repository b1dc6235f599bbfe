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
  // /etc/os-release as the distributions ship it (trimmed to the fields that matter), run through
  // detectOs so the mapping is tested on what the scanner really sees.
  const fromOsRelease = (text: string) => osvEcosystemFor(detectOs([file('/etc/os-release', text)]));

  it.each([
    ['Debian 12', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n', 'Debian:12'],
    ['Debian 11', 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\nID=debian\n', 'Debian:11'],
    // Testing names its release by codename only (no VERSION_ID): trixie while it was testing is 13.
    ['Debian testing (no VERSION_ID)', 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n', 'Debian:13'],
    ['Ubuntu 22.04 LTS', 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n', 'Ubuntu:22.04:LTS'],
    ['Ubuntu 24.04 LTS', 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nVERSION_ID="24.04"\nVERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n', 'Ubuntu:24.04:LTS'],
    ['Ubuntu 20.04 LTS', 'PRETTY_NAME="Ubuntu 20.04.6 LTS"\nVERSION_ID="20.04"\nVERSION_CODENAME=focal\nID=ubuntu\n', 'Ubuntu:20.04:LTS'],
    ['Ubuntu 24.10 (interim)', 'PRETTY_NAME="Ubuntu 24.10"\nVERSION_ID="24.10"\nVERSION="24.10 (Oracular Oriole)"\nVERSION_CODENAME=oracular\nID=ubuntu\n', 'Ubuntu:24.10'],
    ['Ubuntu 23.04 (interim)', 'PRETTY_NAME="Ubuntu 23.04"\nVERSION_ID="23.04"\nVERSION_CODENAME=lunar\nID=ubuntu\n', 'Ubuntu:23.04'],
    ['Alpine 3.20.3', 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n', 'Alpine:v3.20'],
    ['Alpine 3.19.1', 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n', 'Alpine:v3.19'],
    ['Wolfi', 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\n', 'Wolfi'],
    ['Chainguard', 'ID=chainguard\nNAME="Chainguard"\nPRETTY_NAME="Chainguard"\nVERSION_ID="20230214"\n', 'Chainguard'],
    ['MinimOS', 'ID=minimos\nNAME="MinimOS"\nPRETTY_NAME="MinimOS"\n', 'MinimOS'],
    ['AlmaLinux 9.4', 'NAME="AlmaLinux"\nVERSION="9.4 (Seafoam Ocelot)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"\n', 'AlmaLinux:9'],
    ['Rocky Linux 9.3', 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n', 'Rocky Linux:9'],
    ['Rocky Linux 8.9', 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="8.9"\nPRETTY_NAME="Rocky Linux 8.9 (Green Obsidian)"\n', 'Rocky Linux:8'],
    // A prefix of Red Hat:enterprise_linux:9::appstream / ::baseos (the matcher extends it past ':').
    ['RHEL 9.4 (UBI)', 'NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\nCPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"\n', 'Red Hat:enterprise_linux:9'],
    ['openSUSE Leap 15.5', 'NAME="openSUSE Leap"\nVERSION="15.5"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\nPRETTY_NAME="openSUSE Leap 15.5"\n', 'openSUSE:Leap 15.5'],
    ['openSUSE Tumbleweed', 'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\nVERSION_ID="20240620"\nPRETTY_NAME="openSUSE Tumbleweed"\n', 'openSUSE:Tumbleweed'],
    ['SLES 15 SP5', 'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\nID="sles"\nID_LIKE="suse"\n', 'SUSE:Linux Enterprise Server 15 SP5'],
    ['SLES 12 SP5', 'NAME="SLES"\nVERSION="12-SP5"\nVERSION_ID="12.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 12 SP5"\nID="sles"\n', 'SUSE:Linux Enterprise Server 12 SP5'],
    ['SLES 15 GA', 'NAME="SLES"\nVERSION="15"\nVERSION_ID="15"\nPRETTY_NAME="SUSE Linux Enterprise Server 15"\nID="sles"\n', 'SUSE:Linux Enterprise Server 15'],
    ['CBL-Mariner 2.0', 'NAME="Common Base Linux Mariner"\nVERSION="2.0.20240123"\nID=mariner\nVERSION_ID="2.0"\nPRETTY_NAME="CBL-Mariner/Linux"\n', 'Azure Linux:2'],
    ['Azure Linux 3.0', 'NAME="Microsoft Azure Linux"\nVERSION="3.0.20240727"\nID=azurelinux\nVERSION_ID="3.0"\nPRETTY_NAME="Microsoft Azure Linux 3.0"\n', 'Azure Linux:3'],
    ['Photon OS 5.0', 'NAME="VMware Photon OS"\nVERSION="5.0"\nID=photon\nVERSION_ID=5.0\nPRETTY_NAME="VMware Photon OS/Linux"\n', 'Photon OS:5.0'],
    ['Photon OS 3.0', 'NAME="VMware Photon OS"\nVERSION="3.0"\nID=photon\nVERSION_ID=3.0\nPRETTY_NAME="VMware Photon OS/Linux"\n', 'Photon OS:3.0'],
    ['openEuler 24.03 LTS', 'NAME="openEuler"\nVERSION="24.03 (LTS)"\nID="openEuler"\nVERSION_ID="24.03"\nPRETTY_NAME="openEuler 24.03 (LTS)"\n', 'openEuler:24.03-LTS'],
    ['openEuler 22.03 LTS SP3', 'NAME="openEuler"\nVERSION="22.03 (LTS-SP3)"\nID="openEuler"\nVERSION_ID="22.03"\nPRETTY_NAME="openEuler 22.03 (LTS-SP3)"\n', 'openEuler:22.03-LTS-SP3'],
    ['openEuler 24.03 LTS SP1 (space form)', 'NAME="openEuler"\nID="openEuler"\nVERSION_ID="24.03"\nPRETTY_NAME="openEuler 24.03 (LTS SP1)"\n', 'openEuler:24.03-LTS-SP1'],
    // Innovation releases are outside openEuler's advisories; the bare release matches nothing.
    ['openEuler 23.09 (innovation)', 'NAME="openEuler"\nID="openEuler"\nVERSION_ID="23.09"\nPRETTY_NAME="openEuler 23.09"\n', 'openEuler:23.09'],
    // No OSV ecosystem.
    ['Amazon Linux 2023', 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPRETTY_NAME="Amazon Linux 2023.5.20240805"\n', ''],
    ['Amazon Linux 2', 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\nPRETTY_NAME="Amazon Linux 2"\n', ''],
    ['Fedora 40', 'NAME="Fedora Linux"\nVERSION="40 (Container Image)"\nID=fedora\nVERSION_ID=40\n', ''],
    ['Oracle Linux 9', 'NAME="Oracle Linux Server"\nVERSION="9.4"\nID="ol"\nVERSION_ID="9.4"\n', ''],
    ['unknown distro', 'ID=plan9\nVERSION_ID=4\n', ''],
  ])('%s → %j', (_name, osRelease, eco) => {
    expect(fromOsRelease(osRelease)).toBe(eco);
  });

  it.each([
    [{ id: 'debian', versionId: '11.9' }, 'Debian:11'],
    [{ id: 'ubuntu' }, ''],
    [{ id: 'alpine', versionId: 'edge' }, ''],
    [{ id: 'rhel' }, ''],
    [{ id: 'mariner' }, ''],
    [{ id: 'azurelinux', versionId: '3' }, 'Azure Linux:3'],
    // The purl path has no PRETTY_NAME but its distro qualifier already carries the LTS part.
    [{ id: 'openeuler', versionId: '22.03-LTS-SP3' }, 'openEuler:22.03-LTS-SP3'],
    [{ id: 'openeuler' }, ''],
  ])('without a full os-release: %o → %j', (os, eco) => {
    expect(osvEcosystemFor({ detectedFrom: 'purl', ...os })).toBe(eco);
  });

  it('is empty without an OS', () => expect(osvEcosystemFor(undefined)).toBe(''));
});
