// OSV affected-range evaluation (https://ossf.github.io/osv-schema/#evaluation): events sorted by
// version with introduced "0" lowest; introduced opens, fixed closes at, last_affected closes
// after; limit caps the range. Explicit `versions` match by the ecosystem's equality (PEP 440's
// `5.0 == 5.0.0`, SemVer without build metadata), or by exact string where an ecosystem has no
// equality key. GIT ranges describe commits, not package versions, so they are ignored here.
import type { OsvAffected, OsvEvent, OsvRange } from '../model/osv.js';
import { errorMessage } from '../errors.js';
import { InvalidVersionError, type Comparator } from './comparator.js';
import { getComparator, SEMVER_RANGE_COMPARATOR } from './registry.js';

export interface AffectsResult {
  affected: boolean;
  /** Fixed versions of the ranges that contain the version (for reporting the fix). */
  fixed: string[];
  /** last_affected versions of the ranges that contain the version. */
  lastAffected: string[];
  /** Why the version (or an event) could not be compared; never a guess. */
  invalid?: string;
  /** Set with `invalid` when the package's own version is what the ecosystem rejects. */
  invalidVersion?: boolean;
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';
interface Event {
  kind: Kind;
  version: string;
}

function flatten(events: OsvEvent[]): Event[] {
  const out: Event[] = [];
  for (const e of events) {
    for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
      const v = e[kind];
      if (typeof v === 'string') out.push({ kind, version: v });
    }
  }
  return out;
}

const isZero = (e: Event): boolean => e.kind === 'introduced' && e.version === '0';

function rangeComparator(range: OsvRange, ecosystem: string | undefined): Comparator | string | undefined {
  if (range.type === 'SEMVER') return SEMVER_RANGE_COMPARATOR;
  if (range.type === 'ECOSYSTEM') {
    if (!ecosystem) return 'ECOSYSTEM range without a package ecosystem';
    return getComparator(ecosystem) ?? `no version comparator for ecosystem ${JSON.stringify(ecosystem)}`;
  }
  return undefined; // GIT and unknown types do not apply to package versions
}

interface PreparedRange {
  cmp: Comparator;
  ordered: Event[];
  limits: Event[];
}

// Records reach us shared and frozen from the DB's cache, so a range's validated, sorted events
// are computed once per range object rather than once per package evaluated against it.
const prepared = new WeakMap<OsvRange, PreparedRange>();

function prepare(cmp: Comparator, range: OsvRange): PreparedRange {
  const hit = prepared.get(range);
  if (hit && hit.cmp === cmp) return hit;
  const events = flatten(range.events ?? []);
  for (const e of events) {
    if (!isZero(e) && !cmp.valid(e.version)) throw new InvalidVersionError(cmp.ecosystem, e.version, `in a ${e.kind} event`);
  }
  const limits = events.filter((e) => e.kind === 'limit');
  const ordered = events
    .filter((e) => e.kind !== 'limit')
    .map((e, i) => ({ e, i }))
    .sort((x, y) => {
      if (isZero(x.e) || isZero(y.e)) return isZero(x.e) === isZero(y.e) ? x.i - y.i : isZero(x.e) ? -1 : 1;
      return cmp.compare(x.e.version, y.e.version) || x.i - y.i;
    })
    .map((x) => x.e);
  const p = { cmp, ordered, limits };
  prepared.set(range, p);
  return p;
}

/** Evaluates one range; throws InvalidVersionError for an uncomparable event. */
function evalRange(cmp: Comparator, range: OsvRange, version: string): { affected: boolean; fixed: string[]; lastAffected: string[] } {
  const { ordered, limits } = prepare(cmp, range);
  let affected = false;
  for (const e of ordered) {
    if (e.kind === 'introduced') {
      if (isZero(e) || cmp.compare(version, e.version) >= 0) affected = true;
    } else if (e.kind === 'fixed') {
      if (cmp.compare(version, e.version) >= 0) affected = false;
    } else if (e.kind === 'last_affected') {
      if (cmp.compare(version, e.version) > 0) affected = false;
    }
  }
  if (affected && limits.length > 0 && !limits.some((l) => cmp.compare(version, l.version) < 0)) affected = false;
  if (!affected) return { affected, fixed: [], lastAffected: [] };
  return {
    affected,
    fixed: ordered.filter((e) => e.kind === 'fixed' && cmp.compare(e.version, version) > 0).map((e) => e.version),
    lastAffected: ordered.filter((e) => e.kind === 'last_affected' && cmp.compare(e.version, version) >= 0).map((e) => e.version),
  };
}

// PyPI and GHSA records list hundreds of versions; a set of equality keys per (shared, frozen)
// list makes the membership test constant-time for every package checked against it.
const versionSets = new WeakMap<readonly string[], Set<string>>();

function keyOf(cmp: Comparator | undefined, v: string): string | undefined {
  // Raw strings and keys live in one set: a key is prefixed so it never equals a raw string.
  const k = cmp?.equalityKey?.(v);
  return k === undefined ? undefined : `~${k}`;
}

function listedIn(versions: readonly string[] | undefined, version: string, cmp: Comparator | undefined): boolean {
  if (!Array.isArray(versions) || versions.length === 0) return false;
  let set = versionSets.get(versions);
  if (!set) {
    set = new Set<string>();
    for (const v of versions) {
      set.add(`=${v}`);
      const k = keyOf(cmp, v);
      if (k !== undefined) set.add(k);
    }
    versionSets.set(versions, set);
  }
  if (set.has(`=${version}`)) return true;
  const k = keyOf(cmp, version);
  return k !== undefined && set.has(k);
}

export function affects(affected: OsvAffected, version: string): AffectsResult {
  const ecosystem = affected.package?.ecosystem;
  const listed = listedIn(affected.versions, version, ecosystem ? getComparator(ecosystem) : undefined);
  const result: AffectsResult = { affected: listed, fixed: [], lastAffected: [] };
  for (const range of affected.ranges ?? []) {
    const cmp = rangeComparator(range, ecosystem);
    if (cmp === undefined) continue;
    let invalidVersion = false;
    try {
      if (typeof cmp === 'string') throw new Error(cmp);
      if (!cmp.valid(version)) {
        invalidVersion = true;
        cmp.compare(version, version); // throws with the ecosystem's own reason when it has one
        throw new InvalidVersionError(cmp.ecosystem, version);
      }
      const r = evalRange(cmp, range, version);
      if (r.affected) {
        result.affected = true;
        for (const f of r.fixed) if (!result.fixed.includes(f)) result.fixed.push(f);
        for (const l of r.lastAffected) if (!result.lastAffected.includes(l)) result.lastAffected.push(l);
      }
    } catch (err) {
      // An exact `versions` hit needs no parsing; otherwise refuse to guess.
      const reason = errorMessage(err);
      const out: AffectsResult = listed ? { ...result, affected: true, invalid: reason } : { affected: false, fixed: [], lastAffected: [], invalid: reason };
      if (invalidVersion) out.invalidVersion = true;
      return out;
    }
  }
  return result;
}
