// Swift Package Manager (OSV `SwiftURL`), from SBOMs. purl `pkg:swift/github.com/apple/swift-nio@2.41.0`
// names the package by its source URL without scheme: OSV's name is `github.com/apple/swift-nio`.
// Versions are git tags that are SemVer 2.0 (the ecosystem's definition); like osv.dev, a leading
// `v` and missing minor/patch parts are tolerated.
import { SemverComparator } from '../version/semver2.js';
import { pathPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const swift = defineEcosystem({
  osv: 'SwiftURL',
  purl: {
    type: 'swift',
    ...pathPurl('swift'),
    refuse: (ns) => (ns && ns.includes('.') ? undefined : 'a pkg:swift purl without a source-URL namespace (host/owner) names no SwiftURL package'),
  },
  comparator: new SemverComparator('SwiftURL', 'range'),
  versionScheme: 'SemVer 2.0 (git tags)',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: [],
  example: { name: 'github.com/apple/swift-nio', version: '2.41.0' },
});
