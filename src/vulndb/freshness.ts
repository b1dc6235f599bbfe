import { PortcullisError } from '../errors.js';
import type { DbSummary } from '../model/report.js';
import type { VulnSource } from './source.js';

export const DEFAULT_MAX_DB_AGE_MS = 72 * 3600_000;

/** "72h", "3d", "90m", "3600s", or plain hours -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new PortcullisError(`bad duration "${text}" (use e.g. 72h, 3d, 90m)`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] ?? 'h']!;
  return n * unit;
}

export function formatAge(ms: number): string {
  if (ms < 0) return 'in the future';
  const h = ms / 3600_000;
  if (h < 1) return `${Math.round(ms / 60_000)}m`;
  if (h < 48) return `${h.toFixed(1)}h`;
  return `${(h / 24).toFixed(1)}d`;
}

type SummarySource = DbSummary['sources'][number];

/** Sources that hold data: their dates bound how current the DB is. */
function holding(sources: readonly SummarySource[]): SummarySource[] {
  return sources.filter((s) => (s.records ?? 0) > 0 || s.dataDate !== undefined);
}

/**
 * The DB's data date: the oldest data date of the sources that hold data (the weakest one bounds
 * what a scan can trust). Undefined when there is none, or when one of them is undated.
 */
export function dataDateOf(sources: readonly SummarySource[]): string | undefined {
  const held = holding(sources);
  if (held.length === 0 || held.some((s) => s.dataDate === undefined || !Number.isFinite(Date.parse(s.dataDate)))) return undefined;
  return held.map((s) => new Date(Date.parse(s.dataDate!)).toISOString()).sort()[0];
}

/**
 * Throws PortcullisError when the DB's data is older than `maxAgeMs`: its data date (the oldest of
 * its sources' data dates: a download's Last-Modified, the newest `modified` of imported records,
 * a feed's own date; never the time it was fetched or imported), saying which sources are stale
 * and how to update or override. `scan` calls it unless --skip-db-age-check.
 */
export function checkFreshness(db: VulnSource | DbSummary, maxAgeMs: number = DEFAULT_MAX_DB_AGE_MS, now = Date.now()): void {
  const summary = 'summary' in db ? db.summary() : db;
  const hint = 'run `portcullis db update` (or pass --skip-db-age-check)';
  const held = holding(summary.sources);
  if (held.length === 0) throw new PortcullisError(`vulnerability database holds no data from any source; ${hint}`, { subject: summary.location });
  const undated = held.filter((s) => s.dataDate === undefined || !Number.isFinite(Date.parse(s.dataDate)));
  if (undated.length > 0 || !summary.dataDate) {
    const names = undated.map((s) => s.name);
    throw new PortcullisError(
      `vulnerability database has no data date${names.length ? ` for ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}` : ''}, so its age is unknown; ${hint}`,
      { subject: summary.location },
    );
  }
  const age = now - Date.parse(summary.dataDate);
  if (!Number.isFinite(age)) throw new PortcullisError(`vulnerability database has an unreadable data date; ${hint}`, { subject: summary.location });
  if (age > maxAgeMs) {
    const stale = held
      .filter((s) => now - Date.parse(s.dataDate!) > maxAgeMs)
      .sort((a, b) => Date.parse(a.dataDate!) - Date.parse(b.dataDate!))
      .map((s) => `${s.name} (${s.dataDate!.slice(0, 10)})`);
    const days = Math.ceil(age / 86_400_000);
    throw new PortcullisError(
      `vulnerability data is ${formatAge(age)} old (data date ${summary.dataDate.slice(0, 10)}: the date of the data itself, not of its download or import; ` +
        `limit --max-db-age ${formatAge(maxAgeMs)}; stale: ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}); ` +
        `run \`portcullis db update\` for current data, or accept it with --max-db-age ${days}d or --skip-db-age-check`,
      { subject: summary.location },
    );
  }
}
