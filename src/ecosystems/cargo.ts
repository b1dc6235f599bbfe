// crates.io: Cargo.lock files and cargo-auditable binaries.
import { SemverComparator } from '../version/semver2.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const cratesIo = defineEcosystem({
  osv: 'crates.io',
  purl: { type: 'cargo', ...plainPurl('cargo') },
  comparator: new SemverComparator('crates.io', 'strict'),
  versionScheme: 'SemVer 2.0 (strict, as Cargo)',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: ['rust'],
  example: { name: 'tokio', version: '1.28.0' },
});
