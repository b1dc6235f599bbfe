// CRAN (R), from SBOMs: `pkg:cran/A3@1.0.0`.
import { cranComparator } from '../version/numeric-list.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const cran = defineEcosystem({
  osv: 'CRAN',
  purl: { type: 'cran', ...plainPurl('cran') },
  comparator: cranComparator(),
  versionScheme: 'R numeric_version: integers separated by `.` or `-`',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: [],
  example: { name: 'commonmark', version: '1.8-1' },
});
