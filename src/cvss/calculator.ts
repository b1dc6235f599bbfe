// CVSS base scores come from a maintained calculator (ae-cvss-calculator) rather than our own math.
// Loaded by the DB import (which stores every vector's score) and by a scan only for vectors its
// DB did not score: its module alone took ~14 ms of a scan, and each first vector ~0.5 ms.
import type Calculator from 'ae-cvss-calculator';
import { lazyRequire } from '../util/lazy-require.js';
import { normaliseVector, type CvssScore } from './vectors.js';

const fromNodeModules = lazyRequire<typeof Calculator>('ae-cvss-calculator');
let lib: typeof Calculator | undefined;

/**
 * In the CLI bundle (CommonJS) esbuild bundles this literal require, so the bundle's code cache
 * holds the calculator's compiled code; tsc's per-file build and tsx load it from node_modules.
 */
function calculator(): typeof Calculator {
  return (lib ??= typeof require === 'function' ? (require('ae-cvss-calculator') as typeof Calculator) : fromNodeModules());
}

type CvssClass = new (vector: string) => { calculateScores(): { base?: number } };

/** The vector's CVSS version by its prefix; undefined when it is no CVSS vector at all. */
function versionOf(vector: string): CvssScore['version'] | undefined {
  if (vector.startsWith('CVSS:4.0/')) return '4.0';
  if (vector.startsWith('CVSS:3.1/')) return '3.1';
  if (vector.startsWith('CVSS:3.0/')) return '3.0';
  if (/^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(vector)) return '2.0';
  return undefined;
}

function classFor(version: CvssScore['version']): CvssClass {
  const c = calculator();
  const impl = version === '4.0' ? c.Cvss4P0 : version === '3.1' ? c.Cvss3P1 : version === '3.0' ? c.Cvss3P0 : c.Cvss2;
  return impl as unknown as CvssClass;
}

const scoreCache = new Map<string, CvssScore | null>();

/** The base score of a vector as a record writes it; null when it is not valid CVSS. */
export function scoreVector(vector: string): CvssScore | null {
  let s = scoreCache.get(vector);
  if (s === undefined) {
    s = compute(normaliseVector(vector));
    // Bounded: drop the cache whole rather than track recency.
    if (scoreCache.size > 50_000) scoreCache.clear();
    scoreCache.set(vector, s);
  }
  return s;
}

function compute(v: string): CvssScore | null {
  const version = versionOf(v);
  if (!version) return null;
  try {
    const score = new (classFor(version))(v).calculateScores().base;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) return null;
    return { version, score };
  } catch {
    return null;
  }
}
