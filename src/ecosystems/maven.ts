// Maven: jars' coordinates; OSV names `groupId:artifactId`.
import { MavenComparator } from '../version/maven.js';
import { buildPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const maven = defineEcosystem({
  osv: 'Maven',
  releaseSuffix: ':<repository URL> (optional; Maven Central when absent)',
  purl: {
    type: 'maven',
    nameOf: (ns, name) => (ns ? `${ns}:${name}` : name),
    build(name, version) {
      const colon = name.indexOf(':');
      return buildPurl('maven', colon > 0 ? name.slice(0, colon) : undefined, colon > 0 ? name.slice(colon + 1) : name, version);
    },
  },
  comparator: new MavenComparator(),
  versionScheme: 'Maven 3.9 ComparableVersion',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: ['java-archive'],
  example: { name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1' },
});
