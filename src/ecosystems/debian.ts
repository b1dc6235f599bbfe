// Debian: dpkg packages; OSV records name the source package (`Debian:<major>`).
import { DebianComparator } from '../version/debian.js';
import { major, versionOrCodename } from './releases.js';
import { distroPurl } from './purl.js';
import { defineEcosystem } from './types.js';

/**
 * Release codenames (distro-info-data's debian.csv). Testing and sid ship an os-release with
 * VERSION_CODENAME = the next release and no VERSION_ID (base-files 14.2: `forky`), so their
 * packages are matched as that release's. `sid` alone names no release.
 */
export const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  wheezy: '7', jessie: '8', stretch: '9', buster: '10', bullseye: '11', bookworm: '12',
  trixie: '13', forky: '14', duke: '15',
};

export const debian = defineEcosystem({
  osv: 'Debian',
  releaseSuffix: ':<major> (Debian:12)',
  purl: { type: 'deb', qualifiers: ['arch', 'distro', 'epoch', 'upstream'], ...distroPurl('deb') },
  comparator: new DebianComparator('Debian'),
  versionScheme: 'dpkg `[epoch:]upstream[-revision]`',
  lookup: 'source',
  os: {
    ids: ['debian'],
    label: 'Debian',
    example: { id: 'debian', versionId: '12', versionCodename: 'bookworm' },
    release(os) {
      const v = versionOrCodename(os, DEBIAN_CODENAMES);
      return v ? `Debian:${major(v)}` : undefined;
    },
  },
  spdxPurpose: 'INSTALL',
  catalogers: ['dpkg'],
  example: { name: 'openssl', version: '3.0.15-1~deb12u1' },
});
