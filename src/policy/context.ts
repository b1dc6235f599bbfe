// The objects rules are evaluated against. Every field is documented in docs/policy.md and listed
// in context-shape.ts; missing data is `null` (never undefined), so comparisons are predictable.
import type { Finding } from '../model/finding.js';
import type { Report } from '../model/report.js';

export interface ContextOptions {
  /** Evaluation time (publishedAgeDays, db.ageHours, expiry). Default: now. */
  now?: Date;
  /**
   * How many of the image's first layers belong to its base image. When absent, base layers are
   * unknown and `layer.base` is false for every finding (see baseLayerCount()).
   */
  baseLayerCount?: number;
}

export interface FindingContext {
  id: string;
  aliases: string[];
  /** id followed by aliases: what `id:` in shorthand and exceptions look at. */
  ids: string[];
  severity: string;
  severitySource: string;
  status: string;
  fixAvailable: boolean;
  fixedVersions: string[];
  cvss: { score: number | null; version: string | null; vector: string | null };
  kev: boolean;
  kevDueDate: string | null;
  epss: { score: number | null; percentile: number | null };
  package: { name: string; version: string; type: string; ecosystem: string; purl: string; path: string; sourceName: string; dev: boolean };
  layer: { index: number; base: boolean; digest: string; createdBy: string | null };
  publishedAgeDays: number | null;
}

export interface ImageContext {
  user: string;
  runsAsRoot: boolean;
  env: { name: string; value: string }[];
  envNames: string[];
  labels: Record<string, string>;
  history: string[];
  repository: string | null;
  registry: string | null;
  tags: string[];
  base: { name: string | null; digest: string | null; registry: string | null };
  db: { ageHours: number | null; updatedAt: string | null };
  os: string;
  architecture: string;
  exposedPorts: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string | null;
}

const DAY_MS = 86_400_000;

function parseTime(s: string | undefined): number | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** The CVSS rules see: the highest score among the vectors known (best-first order breaks ties). */
function bestCvss(f: Finding): FindingContext['cvss'] {
  let best = f.cvss[0];
  for (const c of f.cvss) if (best && c.score > best.score) best = c;
  return best ? { score: best.score, version: best.version, vector: best.vector } : { score: null, version: null, vector: null };
}

/**
 * The base layer count a caller can state. `baseLayerCount` wins; otherwise unknown (undefined):
 * the `org.opencontainers.image.base.*` labels name the base image but not how many layers it
 * has, so a caller that can open that base passes `commonLayerPrefix()` of the two diff_id lists.
 */
export function resolveBaseLayerCount(opts: ContextOptions): number | undefined {
  const n = opts.baseLayerCount;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** How many leading layers two images share (diff_ids compared in order). */
export function commonLayerPrefix(imageDiffIds: readonly string[], baseDiffIds: readonly string[]): number {
  let i = 0;
  while (i < imageDiffIds.length && i < baseDiffIds.length && imageDiffIds[i] === baseDiffIds[i]) i++;
  return i;
}

export function findingContext(finding: Finding, opts: ContextOptions = {}): FindingContext {
  const now = (opts.now ?? new Date()).getTime();
  const baseCount = resolveBaseLayerCount(opts);
  const published = parseTime(finding.published);
  const pkg = finding.package;
  const layer = finding.layer ?? pkg.layer;
  return {
    id: finding.id,
    aliases: finding.aliases ?? [],
    ids: [finding.id, ...(finding.aliases ?? [])],
    severity: finding.severity,
    severitySource: finding.severitySource ?? 'none',
    status: finding.status,
    fixAvailable: finding.status === 'fixed' || (finding.fixedVersions?.length ?? 0) > 0,
    fixedVersions: finding.fixedVersions ?? [],
    cvss: bestCvss(finding),
    kev: finding.kev !== undefined,
    kevDueDate: finding.kev?.dueDate ?? null,
    epss: { score: finding.epss?.score ?? null, percentile: finding.epss?.percentile ?? null },
    package: {
      name: pkg.name,
      version: pkg.version,
      type: pkg.type,
      ecosystem: pkg.ecosystem,
      purl: pkg.purl,
      path: pkg.path,
      sourceName: pkg.sourceName ?? pkg.name,
      dev: pkg.dev === true,
    },
    layer: {
      index: layer?.index ?? -1,
      base: baseCount !== undefined && layer !== undefined && layer.index >= 0 && layer.index < baseCount,
      digest: layer?.digest ?? '',
      createdBy: layer?.createdBy ?? null,
    },
    publishedAgeDays: published === null ? null : Math.floor((now - published) / DAY_MS),
  };
}

/** `registry.example.com/team/app` -> `registry.example.com`; Docker Hub names -> `docker.io`. */
export function registryOf(name: string | undefined | null): string | null {
  if (!name) return null;
  const first = name.split('/')[0]!;
  if (name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

function splitEnv(entry: string): { name: string; value: string } {
  const eq = entry.indexOf('=');
  return eq < 0 ? { name: entry, value: '' } : { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
}

/** `user` as the config states it: empty / `root` / uid 0 (with or without a group) is root. */
export function userIsRoot(user: string | undefined): boolean {
  const u = (user ?? '').trim();
  if (u === '') return true;
  const name = u.split(':')[0]!;
  return name === 'root' || name === '0';
}

export function imageContext(report: Report, opts: ContextOptions = {}): ImageContext {
  const now = (opts.now ?? new Date()).getTime();
  const config = report.image.config;
  const labels = config.labels ?? {};
  const env = (config.env ?? []).map(splitEnv);
  const baseName = labels['org.opencontainers.image.base.name'] ?? null;
  const updatedAt = report.db?.updatedAt ?? null;
  // The data's own date (what --max-db-age measures); the fetch time only for an older summary.
  const updated = parseTime(report.db?.dataDate ?? updatedAt ?? undefined);
  return {
    user: config.user ?? '',
    runsAsRoot: userIsRoot(config.user),
    env,
    envNames: env.map((e) => e.name),
    labels,
    history: (config.history ?? []).map((h) => h.createdBy ?? ''),
    repository: report.image.repository ?? null,
    registry: registryOf(report.image.repository),
    tags: report.image.tags ?? [],
    base: { name: baseName, digest: labels['org.opencontainers.image.base.digest'] ?? null, registry: registryOf(baseName) },
    db: { ageHours: updated === null ? null : Math.round(((now - updated) / 3_600_000) * 100) / 100, updatedAt },
    os: config.os,
    architecture: config.architecture,
    exposedPorts: config.exposedPorts ?? [],
    entrypoint: config.entrypoint ?? [],
    cmd: config.cmd ?? [],
    workingDir: config.workingDir ?? null,
  };
}
