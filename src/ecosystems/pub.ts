// Pub (Dart, Flutter), from SBOMs: `pkg:pub/http@1.1.0`.
import { PubComparator } from '../version/pub.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const pub = defineEcosystem({
  osv: 'Pub',
  purl: { type: 'pub', ...plainPurl('pub') },
  comparator: new PubComparator(),
  versionScheme: 'pub_semver: SemVer 2.0 with build metadata ordered after the release',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: [],
});
