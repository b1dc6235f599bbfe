// Packagist: Composer's installed.json and composer.lock; OSV names `vendor/name`.
import { PackagistComparator } from '../version/packagist.js';
import { buildPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const packagist = defineEcosystem({
  osv: 'Packagist',
  releaseSuffix: ':<repository URL> (optional; packagist.org when absent)',
  purl: {
    type: 'composer',
    nameOf: (ns, name) => (ns ? `${ns}/${name}` : name),
    build(name, version) {
      const slash = name.indexOf('/');
      return buildPurl('composer', slash > 0 ? name.slice(0, slash) : undefined, slash > 0 ? name.slice(slash + 1) : name, version);
    },
  },
  comparator: new PackagistComparator(),
  versionScheme: 'Composer (PHP version_compare after stripping `v`)',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: ['composer'],
  example: { name: 'symfony/http-kernel', version: 'v6.3.0' },
});
