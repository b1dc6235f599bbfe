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

/**
 * Throws PortcullisError when the DB's oldest source is older than `maxAgeMs` (or the DB has no
 * sources at all), saying how to update. `scan` calls it unless --skip-db-age-check.
 */
export function checkFreshness(db: VulnSource | DbSummary, maxAgeMs: number = DEFAULT_MAX_DB_AGE_MS, now = Date.now()): void {
  const summary = 'summary' in db ? db.summary() : db;
  const hint = 'run `portcullis db update` (or pass --skip-db-age-check)';
  if (!summary.updatedAt) throw new PortcullisError(`vulnerability database has no dated sources; ${hint}`, { subject: summary.location });
  const age = now - Date.parse(summary.updatedAt);
  if (!Number.isFinite(age)) throw new PortcullisError(`vulnerability database has an unreadable update time; ${hint}`, { subject: summary.location });
  if (age > maxAgeMs) {
    const stale = summary.sources.filter((s) => s.fetchedAt && now - Date.parse(s.fetchedAt) > maxAgeMs).map((s) => s.name);
    throw new PortcullisError(
      `vulnerability database is ${formatAge(age)} old (limit --max-db-age ${formatAge(maxAgeMs)}; stale: ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}); ${hint}`,
      { subject: summary.location },
    );
  }
}
