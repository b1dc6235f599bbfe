// ConanCenter (C/C++), from SBOMs: `pkg:conan/openssl@3.0.8` (qualifiers such as `user`, `channel`
// and `rrev` name a recipe build, not another package).
import { ConanComparator } from '../version/conan.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const conan = defineEcosystem({
  osv: 'ConanCenter',
  purl: { type: 'conan', qualifiers: ['user', 'channel', 'rrev', 'prev'], ...plainPurl('conan') },
  comparator: new ConanComparator(),
  versionScheme: 'Conan 2 Version: `.`-separated items, `-pre`, `+build`, trailing zeros ignored',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: [],
  example: { name: 'openssl', version: '3.0.5' },
});
