// The rpm-based OSes with an OSV ecosystem. Versions are rpm's `[epoch:]version-release`; the
// records name binary or source RPMs, so both names are looked up.
import type { OsInfo } from '../model/os.js';
import { RpmComparator } from '../version/rpm.js';
import { distroPurl } from './purl.js';
import { major } from './releases.js';
import { defineEcosystem, type OsFacts } from './types.js';

const RPM_SCHEME = 'rpm `[epoch:]version[-release]` (rpmvercmp, `~` and `^`)';
const QUALIFIERS = ['arch', 'distro', 'epoch', 'upstream'] as const;

function rpmEcosystem<const N extends string>(osv: N, releaseSuffix: string, example: { name: string; version: string }, os: OsFacts) {
  return defineEcosystem({
    osv,
    releaseSuffix,
    purl: { type: 'rpm', qualifiers: QUALIFIERS, ...distroPurl('rpm') },
    comparator: new RpmComparator(osv),
    versionScheme: RPM_SCHEME,
    lookup: 'binary-and-source',
    os,
    spdxPurpose: 'INSTALL',
    catalogers: ['rpm-db'],
    example,
  });
}

const numbered = (prefix: string) => (os: OsInfo) => (/^\d+/.test(os.versionId ?? '') ? `${prefix}:${major(os.versionId!)}` : undefined);

export const redHat = rpmEcosystem('Red Hat', ':<CPE> (Red Hat:enterprise_linux:9::appstream)', { name: 'openssl-libs', version: '1:3.0.7-27.el9' }, {
  ids: ['rhel'],
  purlIds: ['redhat'],
  label: 'Red Hat Enterprise Linux',
  releaseLine: { prefix: 'red hat' },
  example: { id: 'rhel', versionId: '9.4' },
  // Records carry a stream suffix (`…:9::appstream`); the lookup treats this string as a prefix.
  release: (os) => (os.versionId ? `Red Hat:enterprise_linux:${major(os.versionId)}` : undefined),
});

export const almaLinux = rpmEcosystem('AlmaLinux', ':<major> (AlmaLinux:9)', { name: 'openssl-libs', version: '1:3.0.7-27.el9' }, { ids: ['almalinux'], label: 'AlmaLinux', releaseLine: { prefix: 'almalinux', file: '/etc/almalinux-release' }, example: { id: 'almalinux', versionId: '9.4' }, release: numbered('AlmaLinux') });

export const rockyLinux = rpmEcosystem('Rocky Linux', ':<major> (Rocky Linux:9)', { name: 'openssl-libs', version: '1:3.0.7-25.el9_3' }, { ids: ['rocky'], label: 'Rocky Linux', releaseLine: { prefix: 'rocky', file: '/etc/rocky-release' }, example: { id: 'rocky', versionId: '9.3' }, release: numbered('Rocky Linux') });

export const openSuse = rpmEcosystem('openSUSE', ':<PRETTY_NAME> (openSUSE:Leap 15.5, openSUSE:Tumbleweed)', { name: 'libopenssl3', version: '3.1.4-150600.5.15.1' }, {
  ids: ['opensuse-leap', 'opensuse-tumbleweed'],
  purlIds: ['opensuse'],
  label: 'openSUSE',
  example: { id: 'opensuse-leap', versionId: '15.5' },
  release(os) {
    if (os.id === 'opensuse-tumbleweed') return 'openSUSE:Tumbleweed';
    return os.versionId ? `openSUSE:Leap ${os.versionId}` : undefined;
  },
});

export const suse = rpmEcosystem('SUSE', ':<product> (SUSE:Linux Enterprise Server 15 SP5)', { name: 'libopenssl3', version: '3.0.8-150500.5.14.1' }, {
  ids: ['sles'],
  purlIds: ['suse', 'sle'],
  label: 'SUSE Linux Enterprise Server',
  example: { id: 'sles', versionId: '15.5' },
  release(os) {
    // The suffix is PRETTY_NAME's product without the vendor, rebuilt from VERSION_ID: 15.5 →
    // "15 SP5"; 15 → "15". Records filed under a module or support-phase product ("…Module for
    // Basesystem 15 SP5", "…LTSS…"), which os-release does not name, are not found by this string.
    const [maj, min] = (os.versionId ?? '').split('.');
    if (!maj) return undefined;
    return `SUSE:Linux Enterprise Server ${maj}${min && min !== '0' ? ` SP${min}` : ''}`;
  },
});

export const mageia = rpmEcosystem('Mageia', ':<release> (Mageia:9)', { name: 'openssl', version: '3.0.15-1.mga9' }, { ids: ['mageia'], label: 'Mageia', example: { id: 'mageia', versionId: '9' }, release: numbered('Mageia') });

export const azureLinux = rpmEcosystem('Azure Linux', ':<major> (Azure Linux:3)', { name: 'openssl', version: '3.3.2-1.azl3' }, {
  // OSV has no "Mariner" ecosystem: CBL-Mariner 2.0 and Azure Linux 3.0 advisories (AZL-*) are
  // both published as "Azure Linux", keyed by the major version only.
  ids: ['mariner', 'azurelinux'],
  label: 'Azure Linux',
  example: { id: 'azurelinux', versionId: '3.0' },
  release: numbered('Azure Linux'),
});

export const photonOs = rpmEcosystem('Photon OS', ':<major.minor> (Photon OS:5.0)', { name: 'mysql', version: '8.0.40-1.ph5' }, {
  ids: ['photon'],
  // Photon's own OSV records write `pkg:rpm/vmware/NAME?distro=photon-5`.
  purlIds: ['vmware'],
  label: 'Photon OS',
  example: { id: 'photon', versionId: '5.0' },
  release(os) {
    const m = /^(\d+)(?:\.(\d+))?/.exec(os.versionId ?? '');
    return m ? `Photon OS:${m[1]}.${m[2] ?? '0'}` : undefined;
  },
});

/**
 * openEuler advisories are scoped to an LTS line, service pack included (`openEuler:22.03-LTS-SP3`,
 * `openEuler:24.03-LTS`). VERSION_ID is only `22.03`; the LTS/SP part is the parenthesised tail of
 * PRETTY_NAME (`openEuler 22.03 (LTS-SP3)`). Without it (innovation releases, or a purl that already
 * carries `22.03-LTS-SP3`) VERSION_ID is used as it is.
 */
function openEulerRelease(os: OsInfo): string | undefined {
  const v = os.versionId ?? '';
  if (!v) return undefined;
  const tail = /\(([^)]*)\)\s*$/.exec(os.prettyName ?? '')?.[1] ?? '';
  const qualifier = tail.split(/[\s-]+/).filter(Boolean).join('-');
  return /^LTS\b/i.test(qualifier) && /^\d+\.\d+$/.test(v) ? `openEuler:${v}-${qualifier}` : `openEuler:${v}`;
}

export const openEuler = rpmEcosystem('openEuler', ':<YY.MM>[-LTS[-SPn]] (openEuler:22.03-LTS-SP3)', { name: 'openssl', version: '1:3.0.12-11.oe2403' }, {
  ids: ['openeuler'],
  label: 'openEuler',
  example: { id: 'openeuler', versionId: '24.03', prettyName: 'openEuler 24.03 (LTS)' },
  release: openEulerRelease,
});

