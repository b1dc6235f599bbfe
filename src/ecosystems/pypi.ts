// PyPI: installed distributions; versions are PEP 440; names compare PEP 503-normalised.
import { PypiComparator } from '../version/pypi.js';
import { buildPurl } from './purl.js';
import { defineEcosystem } from './types.js';

/** PEP 503 normalisation: runs of `-`, `_`, `.` become one `-`, lower-cased. */
export function pep503(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export const pypi = defineEcosystem({
  osv: 'PyPI',
  purl: {
    type: 'pypi',
    nameOf: (_ns, name) => name,
    build: (name, version) => buildPurl('pypi', undefined, pep503(name), version),
  },
  comparator: new PypiComparator(),
  versionScheme: 'PEP 440 (packaging.version.Version)',
  normaliseName: pep503,
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: ['python'],
  example: { name: 'Jinja2', version: '3.1.2' },
});
