// Hackage (Haskell), from SBOMs: `pkg:hackage/aeson@2.1.0.0`.
import { hackageComparator } from '../version/numeric-list.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const hackage = defineEcosystem({
  osv: 'Hackage',
  purl: { type: 'hackage', ...plainPurl('hackage') },
  comparator: hackageComparator(),
  versionScheme: 'Cabal Version: integers separated by `.` (`1.2` < `1.2.0`)',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: [],
  example: { name: 'aeson', version: '2.1.2.1' },
});
