// Hex (Erlang/Elixir), from SBOMs: `pkg:hex/phoenix@1.7.0` (a namespace is a Hex organisation).
// Hex versions are SemVer 2.0 (Elixir's Version); osv.dev orders them as SemVer.
import { SemverComparator } from '../version/semver2.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const hex = defineEcosystem({
  osv: 'Hex',
  // An organisation namespace is not part of the name OSV records use.
  purl: { type: 'hex', ...plainPurl('hex') },
  comparator: new SemverComparator('Hex', 'range'),
  versionScheme: 'SemVer 2.0 (Elixir Version)',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: [],
  example: { name: 'plug', version: '1.14.0' },
});
