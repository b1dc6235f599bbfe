// Groups the records that hit one package into vulnerabilities: records that are aliases of each
// other (or a distro's per-CVE record and its single upstream CVE) are one finding.
import type { OsvRecord } from '../model/osv.js';
import { recordFacts } from './record-facts.js';

class UnionFind {
  private parent = new Map<string, string>();

  find(x: string): string {
    let root = x;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    // Path compression keeps later finds flat.
    for (let cur = x; cur !== root; ) {
      const next = this.parent.get(cur) ?? root;
      this.parent.set(cur, root);
      cur = next;
    }
    if (!this.parent.has(root)) this.parent.set(root, root);
    return root;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

export interface RecordGroup<T> {
  ids: Set<string>;
  members: T[];
  /** Advisories folded in because every vulnerability they cover has its own finding here. */
  folded: T[];
}

/**
 * Groups items (each tied to a record) by vulnerability. An advisory covering several CVEs is
 * folded into the findings of those CVEs when each has one; otherwise it stands as its own finding.
 */
export function groupByVulnerability<T extends { record: OsvRecord }>(items: T[]): RecordGroup<T>[] {
  const uf = new UnionFind();
  const advisories: T[] = [];
  const singles: T[] = [];
  for (const item of items) {
    if (recordFacts(item.record).covered.length > 0) advisories.push(item);
    else singles.push(item);
  }
  for (const item of singles) {
    const ids = recordFacts(item.record).sameIds;
    for (const id of ids) uf.union(ids[0], id);
  }
  const groups = new Map<string, RecordGroup<T>>();
  const groupOf = (id: string): RecordGroup<T> => {
    const root = uf.find(id);
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { ids: new Set(), members: [], folded: [] }));
    return g;
  };
  const knownIds = new Set<string>();
  for (const item of singles) {
    const g = groupOf(item.record.id);
    g.members.push(item);
    for (const id of recordFacts(item.record).sameIds) {
      g.ids.add(id);
      knownIds.add(id);
    }
  }
  for (const item of advisories) {
    const covered = recordFacts(item.record).covered;
    if (covered.every((id) => knownIds.has(id))) {
      for (const id of covered) {
        const g = groupOf(id);
        if (!g.folded.includes(item)) g.folded.push(item);
      }
    } else {
      const g = groupOf(item.record.id);
      g.members.push(item);
      for (const id of recordFacts(item.record).sameIds) g.ids.add(id);
    }
  }
  return [...groups.values()];
}
