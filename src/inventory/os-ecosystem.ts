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
      // VERSION_ID 15.5 → "15 SP5"; 15 → "15".
      const [maj, min] = v.split('.');
      if (!maj) return '';
      return `SUSE:Linux Enterprise Server ${maj}${min && min !== '0' ? ` SP${min}` : ''}`;
    }
    case 'mariner':
      return v ? `Mariner:${majorMinor(v)}` : '';
    case 'azurelinux':
      return v ? `Azure Linux:${majorMinor(v)}` : '';
    case 'photon':
      return v ? `Photon OS:${majorMinor(v)}` : '';
    case 'openeuler':
      return v ? `openEuler:${v}` : '';
    case 'minimos':
      return 'MinimOS';
    default:
      return '';
  }
}
