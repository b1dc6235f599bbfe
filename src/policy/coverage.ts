// The gate's side of coverage: what a policy accepts of the gaps a scan reports (spec.coverage),
// and whether its rules can fire at all with the threat intel the database holds.
import { PortcullisError } from '../errors.js';
import type { Action, Violation } from '../model/decision.js';
import type { Coverage, CoverageAcceptance } from '../model/coverage.js';
import { coverageComplete } from '../match/coverage.js';
import { isExpired } from './expiry.js';
import type { CoverageAccept, CoverageRules, IntelKind, SourceRef } from './types.js';

export type { CoverageAccept, CoverageRules, IntelKind };

export function emptyCoverageRules(): CoverageRules {
  return { accept: [], missingIntel: [] };
}

const ACTION_RANK: Record<Action, number> = { ignore: 0, warn: 1, block: 2 };

/** Several policies: accept lists add up; for an action the strictest wins. */
export function mergeCoverageRules(into: CoverageRules, from: CoverageRules): void {
  into.accept.push(...from.accept);
  for (const k of ['unreadManifests', 'uncheckedPackages'] as const) {
    const a = into[k];
    const b = from[k];
    if (b !== undefined && (a === undefined || ACTION_RANK[b] > ACTION_RANK[a])) into[k] = b;
  }
  for (const i of from.missingIntel) if (!into.missingIntel.includes(i)) into.missingIntel.push(i);
}

function globMatches(glob: string, text: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

export interface AcceptOptions {
  /** `--allow-uncovered`: every gap is accepted (and says so). */
  allowUncovered?: boolean;
  now?: Date;
}

/**
 * Marks the gaps a policy (or --allow-uncovered) accepts, and recomputes `complete`. Returns a new
 * Coverage; an accepted gap stays listed, with who accepted it.
 */
export function acceptCoverage(coverage: Coverage, rules: CoverageRules | undefined, opts: AcceptOptions = {}): Coverage {
  const now = opts.now ?? new Date();
  const live = (rules?.accept ?? []).filter((a) => !a.expires || !isExpired(a.expires, now));
  const byPolicy = (a: CoverageAccept): CoverageAcceptance => ({ by: 'policy', source: `${a.source}:${a.line}`, reason: a.reason });
  const byFlag: CoverageAcceptance = { by: 'flag', reason: '--allow-uncovered' };
  const out: Coverage = {
    ...coverage,
    ecosystems: coverage.ecosystems.map((e) => {
      if (e.status === 'covered') return e;
      const a = live.find((x) => x.ecosystem !== undefined && globMatches(x.ecosystem, e.ecosystem) && (!x.status || x.status === e.status));
      if (a) return { ...e, accepted: byPolicy(a) };
      return opts.allowUncovered ? { ...e, accepted: byFlag } : e;
    }),
    unread: coverage.unread.map((u) => {
      const a = live.find((x) => x.path !== undefined && globMatches(x.path, u.path));
      if (a) return { ...u, accepted: byPolicy(a) };
      return opts.allowUncovered && u.kind === 'os-pkgdb' ? { ...u, accepted: byFlag } : u;
    }),
  };
  out.complete = coverageComplete(out);
  return out;
}

/**
 * Policy verdicts on the gaps that do not make a scan incomplete: unread language manifests and
 * packages found but not checked (default: warn). Reported with the image violations.
 */
export function coverageViolations(coverage: Coverage, rules: CoverageRules | undefined): Violation[] {
  const out: Violation[] = [];
  const manifests = rules?.unreadManifests ?? 'warn';
  if (manifests !== 'ignore') {
    for (const u of coverage.unread) {
      if (u.kind !== 'manifest' || u.accepted) continue;
      out.push({ rule: 'coverage:unread-manifest', action: manifests, message: `${u.path} (${u.cataloger}) was not read (${u.code}: ${u.reason}); its packages were not checked` });
    }
  }
  const unchecked = rules?.uncheckedPackages ?? 'warn';
  if (unchecked !== 'ignore' && coverage.unchecked.length > 0) {
    const byCode = new Map<string, string[]>();
    for (const p of coverage.unchecked) {
      const list = byCode.get(p.code) ?? [];
      list.push(p.purl);
      byCode.set(p.code, list);
    }
    for (const [code, purls] of byCode) {
      const shown = purls.slice(0, 5).join(', ') + (purls.length > 5 ? `, and ${purls.length - 5} more` : '');
      out.push({ rule: 'coverage:unchecked-packages', action: unchecked, message: `${purls.length} ${purls.length === 1 ? 'package was' : 'packages were'} not checked (${code}): ${shown}` });
    }
  }
  return out;
}

const INTEL_FIELDS: Record<string, IntelKind> = { kev: 'kev', kevDueDate: 'kev', epss: 'epss', 'epss.score': 'epss', 'epss.percentile': 'epss' };
const SCOPED = new Set(['map', 'filter', 'all', 'none', 'some', 'reduce']);

/** The intel kinds a json-logic expression reads from the finding (not from a scoped item). */
export function intelRead(logic: unknown): Set<IntelKind> {
  const out = new Set<IntelKind>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [op, raw] of Object.entries(node)) {
      const args = Array.isArray(raw) ? raw : [raw];
      if (op === 'var') {
        const path = typeof args[0] === 'string' ? args[0] : undefined;
        const kind = path === undefined ? undefined : INTEL_FIELDS[path] ?? INTEL_FIELDS[path.split('.')[0]!];
        if (kind) out.add(kind);
        else args.forEach(visit);
      } else if (SCOPED.has(op)) {
        // Only the collection is read in the finding's scope; the rest runs on each item.
        visit(args[0]);
      } else {
        args.forEach(visit);
      }
    }
  };
  visit(logic);
  return out;
}

export interface IntelRule extends SourceRef {
  id: string;
  logic: unknown;
}

/**
 * A rule that reads KEV or EPSS while the database holds none of that data can never fire: the
 * gate would pass silently what it is meant to block. That is an error unless the policy says
 * `spec.coverage.missingIntel`.
 */
export function checkIntelAvailable(rules: readonly IntelRule[], intel: Coverage['intel'], allowed: readonly IntelKind[]): void {
  const held = { kev: intel?.kev ?? 0, epss: intel?.epss ?? 0 };
  for (const r of rules) {
    for (const kind of intelRead(r.logic)) {
      if (held[kind] > 0 || allowed.includes(kind)) continue;
      const name = kind === 'kev' ? 'KEV (CISA known exploited)' : 'EPSS';
      throw new PortcullisError(
        `policy rule ${r.id} (${r.source}:${r.line}) reads ${kind}, but the vulnerability database holds no ${name} data, so it could never fire; run \`portcullis db update --enrichment\` (or allow it with spec.coverage.missingIntel: [${kind}])`,
      );
    }
  }
}
