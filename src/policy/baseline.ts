// A previous report whose findings are accepted as they are: only new findings can block.
import { PortcullisError } from '../errors.js';
import type { Finding } from '../model/finding.js';
import { findingKey } from '../model/finding.js';
import type { Report } from '../model/report.js';
import { isRecord, readJsonFile } from './json-file.js';

export async function loadBaseline(path: string): Promise<Report> {
  const doc = await readJsonFile(path, 'baseline report');
  if (!isRecord(doc) || !isRecord(doc.image) || !Array.isArray(doc.findings)) {
    throw new PortcullisError('not a portcullis scan report (needs "image" and a "findings" list; write one with scan --format json)', { subject: path });
  }
  doc.findings.forEach((f, i) => {
    if (!isRecord(f) || typeof f.id !== 'string' || !isRecord(f.package) || typeof f.package.name !== 'string' || typeof f.package.purl !== 'string') {
      throw new PortcullisError(`findings[${i}] lacks id / package.name / package.purl`, { subject: path });
    }
    if (!Array.isArray(f.aliases)) f.aliases = [];
  });
  return doc as unknown as Report;
}

/**
 * Matching: the exact findingKey (id, purl, path), or the same vulnerability (id or any alias) in a
 * package of the same type and name — so a version bump that is still vulnerable, or a package
 * that moved, stays pre-existing. A vulnerability in a package the baseline never had is new.
 */
export class BaselineIndex {
  private readonly keys = new Set<string>();
  private readonly loose = new Set<string>();

  constructor(baseline: Report) {
    for (const f of baseline.findings ?? []) {
      this.keys.add(findingKey(f));
      for (const id of [f.id, ...(f.aliases ?? [])]) this.loose.add(BaselineIndex.looseKey(id, f));
    }
  }

  private static looseKey(id: string, f: Pick<Finding, 'package'>): string {
    return `${id}|${f.package.type}|${f.package.name}`;
  }

  has(f: Finding): boolean {
    if (this.keys.has(findingKey(f))) return true;
    return [f.id, ...f.aliases].some((id) => this.loose.has(BaselineIndex.looseKey(id, f)));
  }
}
