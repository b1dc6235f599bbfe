// Go modules from binaries' build info; OSV names the module path (`stdlib` for the toolchain).
import { SemverComparator } from '../version/semver2.js';
import { pathPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const go = defineEcosystem({
  osv: 'Go',
  // purl: namespace = module path up to the last `/`, name = the last element.
  purl: { type: 'golang', ...pathPurl('golang') },
  comparator: new SemverComparator('Go', 'go'),
  versionScheme: 'Go module SemVer (`v` prefix, pseudo-versions, `+incompatible`)',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: ['go-binary'],
  example: { name: 'golang.org/x/net', version: 'v0.17.0' },
});
