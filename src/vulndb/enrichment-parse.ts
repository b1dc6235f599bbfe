// Parsers for the enrichment feeds: CISA KEV catalog JSON, FIRST EPSS CSV, NVD CVE API 2.0 JSON.
import type { Cvss, EpssScore, KevEntry } from '../model/finding.js';

export interface KevRow { cve: string; entry: KevEntry }
export interface EpssRow extends EpssScore { cve: string }
export interface NvdRow { cve: string; cvss: Cvss[] }

const CVE = /^CVE-\d{4}-\d{4,}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isKevCatalog(v: unknown): boolean {
  return isObject(v) && Array.isArray(v.vulnerabilities) && ('catalogVersion' in v || (v.vulnerabilities.length > 0 && isObject(v.vulnerabilities[0]) && 'cveID' in v.vulnerabilities[0]));
}

export function isNvdFeed(v: unknown): boolean {
  return isObject(v) && Array.isArray(v.vulnerabilities) && (v.format === 'NVD_CVE' || (v.vulnerabilities.length > 0 && isObject(v.vulnerabilities[0]) && isObject(v.vulnerabilities[0].cve)));
}

/** KEV entries; `bad` gets the index of each entry without a usable cveID/dateAdded. */
export function* kevRows(catalog: unknown, bad: (index: number, field: string) => void): Generator<KevRow> {
  const list = isObject(catalog) && Array.isArray(catalog.vulnerabilities) ? catalog.vulnerabilities : [];
  for (const [i, e] of list.entries()) {
    if (!isObject(e) || typeof e.cveID !== 'string' || !CVE.test(e.cveID)) { bad(i, 'cveID'); continue; }
    if (typeof e.dateAdded !== 'string') { bad(i, 'dateAdded'); continue; }
    const entry: KevEntry = { dateAdded: e.dateAdded };
    if (typeof e.dueDate === 'string') entry.dueDate = e.dueDate;
    if (typeof e.knownRansomwareCampaignUse === 'string') entry.knownRansomwareCampaignUse = e.knownRansomwareCampaignUse;
    if (typeof e.vulnerabilityName === 'string') entry.vulnerabilityName = e.vulnerabilityName;
    yield { cve: e.cveID, entry };
  }
}

/** Streams EPSS CSV lines (`#model_version:…,score_date:…`, header `cve,epss,percentile`). */
export class EpssLineParser {
  private date: string | undefined;
  private sawHeader = false;
  line = 0;

  constructor(private readonly bad: (line: number, why: string) => void) {}

  /** One CSV line (without the newline) -> a row, or undefined for comments/header/bad lines. */
  parse(raw: string): EpssRow | undefined {
    this.line++;
    const text = raw.trim();
    if (text === '') return undefined;
    if (text.startsWith('#')) {
      const m = /score_date:([0-9T:\-.Z+]+)/.exec(text);
      if (m) this.date = m[1]!.slice(0, 10);
      return undefined;
    }
    const cells = text.split(',');
    if (!this.sawHeader && cells[0] === 'cve') {
      this.sawHeader = true;
      return undefined;
    }
    const [cve, e, p] = cells;
    const score = Number(e);
    const percentile = Number(p);
    if (!cve || !CVE.test(cve) || !Number.isFinite(score) || !Number.isFinite(percentile) || score < 0 || score > 1 || percentile < 0 || percentile > 1) {
      this.bad(this.line, 'expected cve,epss,percentile with values in 0..1');
      return undefined;
    }
    const row: EpssRow = { cve, score, percentile };
    if (this.date) row.date = this.date;
    return row;
  }
}

export function looksLikeEpss(head: string): boolean {
  return head.startsWith('#model_version') || head.startsWith('cve,epss');
}

const NVD_METRICS: [key: string, version: Cvss['version'] | undefined][] = [
  ['cvssMetricV40', '4.0'],
  ['cvssMetricV31', '3.1'],
  ['cvssMetricV30', '3.0'],
  ['cvssMetricV2', '2.0'],
];

/** NVD CVE API 2.0: every metric's vector and base score, Primary (NVD's own) first. */
export function* nvdRows(feed: unknown): Generator<NvdRow> {
  const list = isObject(feed) && Array.isArray(feed.vulnerabilities) ? feed.vulnerabilities : [];
  for (const item of list) {
    const cve = isObject(item) && isObject(item.cve) ? item.cve : undefined;
    if (!cve || typeof cve.id !== 'string' || !CVE.test(cve.id)) continue;
    const metrics = isObject(cve.metrics) ? cve.metrics : {};
    const cvss: (Cvss & { primary: boolean })[] = [];
    for (const [key, fallback] of NVD_METRICS) {
      const arr = metrics[key];
      if (!Array.isArray(arr)) continue;
      for (const m of arr) {
        if (!isObject(m) || !isObject(m.cvssData)) continue;
        const d = m.cvssData;
        if (typeof d.vectorString !== 'string' || typeof d.baseScore !== 'number') continue;
        const version = (typeof d.version === 'string' && ['2.0', '3.0', '3.1', '4.0'].includes(d.version) ? d.version : fallback) as Cvss['version'];
        cvss.push({ version, vector: d.vectorString, score: d.baseScore, source: 'nvd', primary: m.type === 'Primary' });
      }
    }
    cvss.sort((a, b) => Number(b.primary) - Number(a.primary));
    if (cvss.length > 0) yield { cve: cve.id, cvss: cvss.map(({ primary: _p, ...c }) => c) };
  }
}
