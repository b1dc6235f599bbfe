// Ubuntu: dpkg packages; OSV records name the source package (`Ubuntu:22.04:LTS`, `Ubuntu:24.10`).
import type { OsInfo } from '../model/os.js';
import { DebianComparator } from '../version/debian.js';
import { distroPurl } from './purl.js';
import { versionOrCodename } from './releases.js';
import { defineEcosystem } from './types.js';

/** Release codenames, for an os-release without VERSION_ID (a development release). */
export const UBUNTU_CODENAMES: Readonly<Record<string, string>> = {
  trusty: '14.04', xenial: '16.04', bionic: '18.04', focal: '20.04', jammy: '22.04', kinetic: '22.10',
  lunar: '23.04', mantic: '23.10', noble: '24.04', oracular: '24.10', plucky: '25.04', questing: '25.10',
  resolute: '26.04',
};

/** Ubuntu LTS releases are the even-year April ones (18.04, 20.04, 22.04, 24.04). */
function ubuntuRelease(os: OsInfo): string | undefined {
  const v = versionOrCodename(os, UBUNTU_CODENAMES);
  const m = v ? /^(\d+)\.(\d+)/.exec(v) : null;
  if (!m) return undefined;
  const lts = Number(m[1]) % 2 === 0 && m[2] === '04';
  return `Ubuntu:${m[1]}.${m[2]}${lts ? ':LTS' : ''}`;
}

export const ubuntu = defineEcosystem({
  osv: 'Ubuntu',
  releaseSuffix: ':<YY.MM>[:LTS] (Ubuntu:22.04:LTS)',
  purl: { type: 'deb', qualifiers: ['arch', 'distro', 'epoch', 'upstream'], ...distroPurl('deb') },
  comparator: new DebianComparator('Ubuntu'),
  versionScheme: 'dpkg `[epoch:]upstream[-revision]`',
  lookup: 'source',
  os: { ids: ['ubuntu'], label: 'Ubuntu', release: ubuntuRelease, example: { id: 'ubuntu', versionId: '22.04', versionCodename: 'jammy' } },
  spdxPurpose: 'INSTALL',
  catalogers: ['dpkg'],
  example: { name: 'openssl', version: '3.0.2-0ubuntu1.18' },
});
