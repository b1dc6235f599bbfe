// RubyGems: installed gemspecs.
import { RubyGemsComparator } from '../version/rubygems.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const rubygems = defineEcosystem({
  osv: 'RubyGems',
  purl: { type: 'gem', ...plainPurl('gem') },
  comparator: new RubyGemsComparator(),
  versionScheme: 'Gem::Version',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: ['gemspec'],
  example: { name: 'rack', version: '2.2.6' },
});
