// OSes we detect but cannot match: OSV (ossf/osv-schema ecosystems.json) has no ecosystem for
// them, so no OSV data covers their packages. They map to '' and their packages are reported as
// `unsupported` (ecosystemSupport), never passed as checked.
import type { OsInfo } from '../model/os.js';
import type { UnsupportedOs } from './types.js';

const labelled = (name: string) => (os: OsInfo) => (os.versionId ? `${name} ${os.versionId}` : name);

export const UNSUPPORTED_OSES: readonly UnsupportedOs[] = [
  {
    ids: ['amzn'],
    purlIds: ['amazon'],
    // Without os-release, /etc/system-release says `Amazon Linux release 2 (Karoo)`.
    releaseLine: { prefix: 'amazon linux' },
    label: labelled('Amazon Linux'),
    reason: 'OSV has no Amazon Linux ecosystem (its advisories, ALAS, are not published as OSV)',
    catalogers: ['rpm-db'],
  },
  {
    ids: ['fedora'],
    releaseLine: { prefix: 'fedora', file: '/etc/fedora-release' },
    label: labelled('Fedora'),
    reason: 'OSV has no Fedora ecosystem',
    catalogers: ['rpm-db'],
  },
  {
    ids: ['ol'],
    purlIds: ['oracle'],
    label: labelled('Oracle Linux'),
    reason: 'OSV has no Oracle Linux ecosystem (its advisories, ELSA, are not published as OSV)',
    catalogers: ['rpm-db'],
  },
  {
    ids: ['centos'],
    releaseLine: { prefix: 'centos', file: '/etc/centos-release' },
    label: labelled('CentOS'),
    reason: 'OSV has no CentOS ecosystem',
    catalogers: ['rpm-db'],
  },
];
