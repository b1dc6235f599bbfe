// Pub (Dart, Flutter), from SBOMs: `pkg:pub/http@1.1.0`.
import { PubComparator } from '../version/pub.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const pub = defineEcosystem({
  osv: 'Pub',
  // Trivy writes pub packages as `pkg:dart/NAME` (the purl spec's type is `pub`).
  purl: { type: 'pub', aliases: ['dart'], ...plainPurl('pub') },
  comparator: new PubComparator(),
  versionScheme: 'pub_semver: SemVer 2.0 with build metadata ordered after the release',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: [],
  example: { name: 'http', version: '0.13.2' },
});
