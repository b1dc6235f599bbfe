// A VulnSource over records held in memory, with the lookup semantics VulnSource documents —
// for matcher unit tests; end-to-end tests use the real SQLite store.
import type { EcosystemData } from '../../src/model/coverage.js';
import type { OsvRecord } from '../../src/model/osv.js';
import type { DbSummary } from '../../src/model/report.js';
import { lookupKey, normalisePackageName, type Enrichment, type PackageQuery, type VulnSource } from '../../src/vulndb/source.js';

export function memorySource(records: OsvRecord[], intel: Record<string, Enrichment> = {}): VulnSource {
  return {
    summary: (): DbSummary => ({ location: 'memory', sources: [] }),
    async lookup(queries: PackageQuery[]) {
      const out = new Map<string, OsvRecord[]>();
      for (const q of queries) {
        const name = normalisePackageName(q.ecosystem, q.name);
        const hits = records.filter(
          (r) =>
            !r.withdrawn &&
            (r.affected ?? []).some(
              (a) =>
                a.package &&
                (a.package.ecosystem === q.ecosystem || a.package.ecosystem.startsWith(`${q.ecosystem}:`)) &&
                normalisePackageName(q.ecosystem, a.package.name) === name,
            ),
        );
        if (hits.length) out.set(lookupKey(q), hits);
      }
      return out;
    },
    async coverage(ecosystems: string[]) {
      const out = new Map<string, EcosystemData>();
      for (const e of ecosystems) {
        const held = records.filter((r) => !r.withdrawn && (r.affected ?? []).some((a) => a.package && (a.package.ecosystem === e || a.package.ecosystem.startsWith(`${e}:`))));
        const newest = held.map((r) => r.modified).sort().at(-1);
        out.set(e, { records: held.length, sources: held.length ? ['memory'] : [], ...(newest ? { dataDate: newest } : {}) });
      }
      return out;
    },
    async enrich(ids: string[]) {
      return new Map(ids.filter((id) => intel[id]).map((id) => [id, intel[id]]));
    },
    async close() {},
  };
}
