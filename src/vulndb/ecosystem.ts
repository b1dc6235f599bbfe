import type { OsvAffected, OsvRecord } from '../model/osv.js';
import { normalisePackageName, type PackageQuery } from './source.js';

/**
 * A record's ecosystem answers a query's when equal, or when it extends it past a `:` boundary
 * (`Red Hat:enterprise_linux:9::appstream` answers `Red Hat:enterprise_linux:9`, `Ubuntu:22.04:LTS`
 * answers `Ubuntu:22.04`; `Debian:1` never answers `Debian:12`).
 */
export function ecosystemMatches(recordEcosystem: string, queryEcosystem: string): boolean {
  return recordEcosystem === queryEcosystem || recordEcosystem.startsWith(`${queryEcosystem}:`);
}

/** The OSV bucket folder an ecosystem is exported under: `Debian:12` -> `Debian`. */
export function mainEcosystem(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

/**
 * Whether an affected entry names the queried package; `want` is the query's normalised name
 * (normalisePackageName), computed once by callers that test many entries.
 */
export function namesPackage(a: OsvAffected, q: PackageQuery, want: string): boolean {
  const p = a.package;
  return p !== undefined && ecosystemMatches(p.ecosystem, q.ecosystem) && (p.name === want || normalisePackageName(p.ecosystem, p.name) === want);
}

/** The affected entries of a record that name the queried package. */
export function affectedFor(record: OsvRecord, q: PackageQuery): OsvAffected[] {
  const want = normalisePackageName(q.ecosystem, q.name);
  return (record.affected ?? []).filter((a) => namesPackage(a, q, want));
}

/** `--ecosystem` filters of an import: keep a record when any affected package is in one of them. */
export function recordInEcosystems(record: OsvRecord, filters: readonly string[]): boolean {
  if (filters.length === 0) return true;
  return (record.affected ?? []).some((a) => a.package !== undefined && filters.some((f) => ecosystemMatches(a.package!.ecosystem, f)));
}
