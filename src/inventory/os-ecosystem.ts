// Maps the detected OS to the OSV ecosystem string its advisories are published under.
import type { OsInfo } from '../model/os.js';

function major(v: string): string {
  return v.split('.')[0];
}

function majorMinor(v: string): string {
  return v.split('.').slice(0, 2).join('.');
}

/** Ubuntu LTS releases are the even-year April ones (18.04, 20.04, 22.04, 24.04). */
function ubuntu(v: string): string {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) return '';
  const lts = Number(m[1]) % 2 === 0 && m[2] === '04';
  return `Ubuntu:${m[1]}.${m[2]}${lts ? ':LTS' : ''}`;
}

/**
 * openEuler advisories are scoped to an LTS line, service pack included (`openEuler:22.03-LTS-SP3`,
 * `openEuler:24.03-LTS`). VERSION_ID is only `22.03`; the LTS/SP part is the parenthesised tail of
 * PRETTY_NAME (`openEuler 22.03 (LTS-SP3)`). Without it (innovation releases, or a purl that already
 * carries `22.03-LTS-SP3`) VERSION_ID is used as it is.
 */
function openEuler(v: string, prettyName?: string): string {
  if (!v) return '';
  const tail = /\(([^)]*)\)\s*$/.exec(prettyName ?? '')?.[1] ?? '';
  const qualifier = tail.split(/[\s-]+/).filter(Boolean).join('-');
  return /^LTS\b/i.test(qualifier) && /^\d+\.\d+$/.test(v) ? `openEuler:${v}-${qualifier}` : `openEuler:${v}`;
}

/** OSV ecosystem for the OS (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.20`…); '' when unknown. */
export function osvEcosystemFor(os?: OsInfo): string {
  if (!os) return '';
  const v = os.versionId ?? '';
  switch (os.id) {
    case 'debian':
      return /^\d+/.test(v) ? `Debian:${major(v)}` : '';
    case 'ubuntu':
      return ubuntu(v);
    case 'alpine':
      return /^\d+\.\d+/.test(v) ? `Alpine:v${majorMinor(v)}` : '';
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    case 'almalinux':
      return v ? `AlmaLinux:${major(v)}` : '';
    case 'rocky':
      return v ? `Rocky Linux:${major(v)}` : '';
    case 'rhel':
      // Red Hat records carry a stream suffix (`Red Hat:enterprise_linux:9::appstream`); the
      // matcher treats this as a prefix.
      return v ? `Red Hat:enterprise_linux:${major(v)}` : '';
    case 'opensuse-leap':
      return v ? `openSUSE:Leap ${v}` : '';
    case 'opensuse-tumbleweed':
      return 'openSUSE:Tumbleweed';
    case 'sles': {
      // The suffix is the product name of PRETTY_NAME without the vendor ("SUSE Linux Enterprise
      // Server 15 SP5"), rebuilt from VERSION_ID: 15.5 → "15 SP5"; 15 → "15". Records filed under a
      // module or support-phase product ("…Module for Basesystem 15 SP5", "…LTSS…"), which
      // os-release does not name, are not found by this string.
      const [maj, min] = v.split('.');
      if (!maj) return '';
      return `SUSE:Linux Enterprise Server ${maj}${min && min !== '0' ? ` SP${min}` : ''}`;
    }
    case 'mariner':
    case 'azurelinux':
      // OSV has no "Mariner" ecosystem: CBL-Mariner 2.0 and Azure Linux 3.0 advisories (AZL-*) are
      // both published as "Azure Linux", keyed by the major version only (`Azure Linux:2`, `:3`).
      return /^\d+/.test(v) ? `Azure Linux:${major(v)}` : '';
    case 'photon':
      return v ? `Photon OS:${majorMinor(v)}` : '';
    case 'openeuler':
      return openEuler(v, os.prettyName);
    case 'minimos':
      return 'MinimOS';
    // Amazon Linux (amzn), Oracle Linux, CentOS and Fedora have no OSV ecosystem.
    default:
      return '';
  }
}
