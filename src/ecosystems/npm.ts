// npm: node_modules and lock files; versions as node-semver (loose) parses them.
import { NpmComparator } from '../version/npm.js';
import { buildPurl } from './purl.js';
import { defineEcosystem } from './types.js';

/** Splits `@scope/name` into namespace and name. */
function npmParts(name: string): [string | undefined, string] {
  if (name.startsWith('@')) {
    const slash = name.indexOf('/');
    if (slash > 0) return [name.slice(0, slash), name.slice(slash + 1)];
  }
  return [undefined, name];
}

export const npm = defineEcosystem({
  osv: 'npm',
  purl: {
    type: 'npm',
    nameOf: (ns, name) => (ns ? `${ns}/${name}` : name),
    build(name, version) {
      const [ns, n] = npmParts(name);
      return buildPurl('npm', ns, n, version);
    },
  },
  comparator: new NpmComparator(),
  versionScheme: 'SemVer 2.0 as node-semver parses it (loose)',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: ['npm'],
  example: { name: '@babel/traverse', version: '7.23.0' },
});
