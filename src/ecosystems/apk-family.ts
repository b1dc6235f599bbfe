// The apk-based OSes: Alpine (release-scoped) and the rolling Wolfi, Chainguard and MinimOS.
// OSV records name the origin package; versions are apk-tools'.
import { ApkComparator } from '../version/apk.js';
import { distroPurl } from './purl.js';
import { majorMinor } from './releases.js';
import { defineEcosystem } from './types.js';

const APK_SCHEME = 'apk-tools `digit{.digit}{letter}{_suffix{N}}{~hash}{-rN}`';
const QUALIFIERS = ['arch', 'distro', 'upstream'] as const;

export const alpine = defineEcosystem({
  osv: 'Alpine',
  releaseSuffix: ':v<major.minor> (Alpine:v3.20)',
  purl: { type: 'apk', qualifiers: QUALIFIERS, ...distroPurl('apk') },
  comparator: new ApkComparator('Alpine'),
  versionScheme: APK_SCHEME,
  lookup: 'origin',
  os: {
    ids: ['alpine'],
    label: 'Alpine Linux',
    example: { id: 'alpine', versionId: '3.20.3' },
    release: (os) => (/^\d+\.\d+/.test(os.versionId ?? '') ? `Alpine:v${majorMinor(os.versionId!)}` : undefined),
  },
  spdxPurpose: 'INSTALL',
  catalogers: ['apk'],
  example: { name: 'busybox', version: '1.36.1-r29' },
});

/** A rolling apk distribution: one ecosystem, no release suffix. */
function rolling<const N extends string>(osv: N, id: string, label: string, example: { name: string; version: string }) {
  return defineEcosystem({
    osv,
    purl: { type: 'apk', qualifiers: QUALIFIERS, ...distroPurl('apk') },
    comparator: new ApkComparator(osv),
    versionScheme: APK_SCHEME,
    lookup: 'origin',
    os: { ids: [id], label, release: () => osv, example: { id } },
    spdxPurpose: 'INSTALL',
    catalogers: ['apk'],
    example,
  });
}

export const wolfi = rolling('Wolfi', 'wolfi', 'Wolfi', { name: 'glibc', version: '2.40-r3' });
export const chainguard = rolling('Chainguard', 'chainguard', 'Chainguard OS', { name: 'syncthing', version: '2.0.13-r0' });
/** osv.dev orders MinimOS as apk (osv/ecosystems/_ecosystems.py). */
export const minimos = rolling('MinimOS', 'minimos', 'MinimOS', { name: 'openssl', version: '3.4.0-r1' });
