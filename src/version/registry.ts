// Registry of comparators by OSV ecosystem name (https://ossf.github.io/osv-schema/#affectedpackage-field).
import type { Comparator } from './comparator.js';
import { ApkComparator } from './apk.js';
import { DebianComparator } from './debian.js';
import { MavenComparator } from './maven.js';
import { NpmComparator } from './npm.js';
import { NugetComparator } from './nuget.js';
import { PackagistComparator } from './packagist.js';
import { PypiComparator } from './pypi.js';
import { RpmComparator } from './rpm.js';
import { RubyGemsComparator } from './rubygems.js';
import { SemverComparator } from './semver2.js';


const RPM_ECOSYSTEMS = [
  'Red Hat',
  'AlmaLinux',
  'Rocky Linux',
  'openSUSE',
  'SUSE',
  'Mageia',
  'Azure Linux',
  'Amazon Linux',
  'Fedora',
  'openEuler',
];

const REGISTRY = new Map<string, Comparator>();
for (const name of ['Debian', 'Ubuntu']) REGISTRY.set(name, new DebianComparator(name));
for (const name of RPM_ECOSYSTEMS) REGISTRY.set(name, new RpmComparator(name));
for (const name of ['Alpine', 'Wolfi', 'Chainguard']) REGISTRY.set(name, new ApkComparator(name));
for (const c of [
  new NpmComparator(),
  new PypiComparator(),
  new MavenComparator(),
  new RubyGemsComparator(),
  new NugetComparator(),
  new PackagistComparator(),
  new SemverComparator('crates.io', 'strict'),
  new SemverComparator('Go', 'go'),
]) {
  REGISTRY.set(c.ecosystem, c);
}

const ALIASES: Record<string, string> = { deb: 'Debian', rpm: 'Red Hat', apk: 'Alpine' };

/** SemVer 2.0 as OSV `SEMVER` ranges use it (a leading `v` is tolerated). */
export const SEMVER_RANGE_COMPARATOR: Comparator = new SemverComparator('SemVer', 'range');

/**
 * The comparator for an OSV ecosystem: exact OSV spelling, the aliases deb/rpm/apk, or a
 * release-suffixed form (`Debian:12`, `Alpine:v3.20`, `Red Hat:enterprise_linux:9::appstream`).
 */
export function getComparator(ecosystem: string): Comparator | undefined {
  const known = BY_NAME.get(ecosystem);
  if (known !== undefined || BY_NAME.has(ecosystem)) return known;
  const base = ecosystem.split(':', 1)[0]!;
  const found = REGISTRY.get(base) ?? REGISTRY.get(ALIASES[base] ?? '');
  // Ecosystem strings are few (one per distro release or language); remember each answer.
  if (BY_NAME.size < 10_000) BY_NAME.set(ecosystem, found);
  return found;
}

const BY_NAME = new Map<string, Comparator | undefined>();

/** Names getComparator accepts without a release suffix (OSV names first, then aliases). */
export function knownEcosystems(): string[] {
  return [...REGISTRY.keys(), ...Object.keys(ALIASES)];
}
