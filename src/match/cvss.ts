// CVSS base scores come from a maintained calculator (ae-cvss-calculator) rather than our own math.
import type Calculator from 'ae-cvss-calculator';
import type { Cvss, Severity } from '../model/finding.js';
import { lazyRequire } from '../util/lazy-require.js';

const fromNodeModules = lazyRequire<typeof Calculator>('ae-cvss-calculator');
let lib: typeof Calculator | undefined;

/**
 * Loaded on the first vector scored. In the CLI bundle (CommonJS) esbuild bundles this literal
 * require, so the bundle's code cache holds the calculator's compiled code (from node_modules it
 * took ~28 ms of every scan that met a CVSS vector); tsc's per-file build and tsx load it from
 * node_modules (src/util/packageurl.ts does the same).
 */
function calculator(): typeof Calculator {
  return (lib ??= typeof require === 'function' ? (require('ae-cvss-calculator') as typeof Calculator) : fromNodeModules());
}

type CvssClass = new (vector: string) => { calculateScores(): { base?: number } };

function classFor(vector: string): { version: Cvss['version']; impl: CvssClass } | undefined {
  const cvssLib = calculator();
  if (vector.startsWith('CVSS:4.0/')) return { version: '4.0', impl: cvssLib.Cvss4P0 as unknown as CvssClass };
  if (vector.startsWith('CVSS:3.1/')) return { version: '3.1', impl: cvssLib.Cvss3P1 as unknown as CvssClass };
  if (vector.startsWith('CVSS:3.0/')) return { version: '3.0', impl: cvssLib.Cvss3P0 as unknown as CvssClass };
  if (/^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(vector)) return { version: '2.0', impl: cvssLib.Cvss2 as unknown as CvssClass };
  return undefined;
}

const scoreCache = new Map<string, Cvss | undefined>();

/** Parses a CVSS vector and computes its base score; undefined when the vector is not valid CVSS. */
export function parseCvss(vector: string, source: string): Cvss | undefined {
  const key = `${source}\u0000${vector}`;
  if (scoreCache.has(key)) return scoreCache.get(key);
  const parsed = computeCvss(vector, source);
  // Bounded: drop the cache whole rather than track recency.
  if (scoreCache.size > 50_000) scoreCache.clear();
  scoreCache.set(key, parsed);
  return parsed;
}

function computeCvss(vector: string, source: string): Cvss | undefined {
  const v = vector.trim().replace(/^\((.*)\)$/, '$1');
  const kind = classFor(v);
  if (!kind) return undefined;
  try {
    const score = new kind.impl(v).calculateScores().base;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) return undefined;
    return { version: kind.version, vector: v, score, source };
  } catch {
    return undefined;
  }
}

/** Qualitative rating per the CVSS specification of that version. */
export function severityFromCvss(c: Pick<Cvss, 'version' | 'score'>): Severity {
  const s = c.score;
  if (c.version === '2.0') return s >= 7 ? 'HIGH' : s >= 4 ? 'MEDIUM' : s > 0 ? 'LOW' : 'UNKNOWN';
  if (s >= 9) return 'CRITICAL';
  if (s >= 7) return 'HIGH';
  if (s >= 4) return 'MEDIUM';
  if (s > 0) return 'LOW';
  return 'UNKNOWN';
}

const VERSION_RANK: Record<Cvss['version'], number> = { '4.0': 4, '3.1': 3, '3.0': 2, '2.0': 1 };

/** Best first: CVSS v4.0 > v3.1 > v3.0 > v2, then higher score. */
export function sortCvss(list: Cvss[]): Cvss[] {
  return [...list].sort((a, b) => VERSION_RANK[b.version] - VERSION_RANK[a.version] || b.score - a.score);
}
