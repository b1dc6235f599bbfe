// Java archives (.jar/.war/.ear/.par) read as zips straight from the walker's buffer. Packages come
// from Maven's own facts first: every pom.properties (shaded jars hold several), its missing groupId
// or artifactId taken from its META-INF/maven/<groupId>/<artifactId>/ path, or that path alone
// (a pom.xml without properties); only then MANIFEST.MF (OSGi names are not Maven coordinates:
// Debian's antlr3-runtime.jar says Bundle-SymbolicName org.antlr.runtime, Bundle-Version 1.0.0);
// else the file name.
// Nested archives are read to a bounded depth and a bounded total of inflated bytes (zip bombs).
import type { CatalogContext, Cataloger, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { basename, errorText, makePackage, warnFile } from './common.js';
import { BudgetError, memoryZipEntries, readMemoryEntry, tailOf, type Budget as InflateBudget } from '../../util/zip-memory.js';

interface Budget extends InflateBudget {
  /** The nesting warning is given once per top-level archive. */
  depthWarned: boolean;
}

const FOUND_BY = 'java-archive';
const ARCHIVE = /\.(jar|war|ear|par|hpi|jpi)$/i;
export const JAVA_LIMITS = {
  maxDepth: 8,
  /** Inflated bytes read across one top-level archive and everything nested in it. */
  maxTotalInflated: 256 * 1024 * 1024,
  /**
   * One nested archive held in memory at a time per level. With the top-level archive's own buffer
   * (maxFileSize below) this keeps a scan under the 300 MB RSS bound docs/reliability.md states.
   */
  maxNestedArchive: 32 * 1024 * 1024,
  maxTextEntry: 1024 * 1024,
};

/**
 * The last two characters of every name the loop below acts on (pom.properties, pom.xml,
 * MANIFEST.MF, an archive in any letter case); a name ending otherwise (a .class, mostly) is passed
 * over without being decoded. Directories (a trailing `/`) are passed over too.
 */
const ACTED_ON_TAILS = new Set(['es', 'ml', 'MF', ...['ar', 'pi'].flatMap((t) => [t, t.toUpperCase(), t[0]! + t[1]!.toUpperCase(), t[0]!.toUpperCase() + t[1]!])].map(tailOf));

function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(t);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

/** MANIFEST.MF main section (continuation lines start with one space). */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let key = '';
  for (const line of text.split(/\r?\n/)) {
    if (line === '') {
      if (out.size > 0) break; // end of the main section
      continue;
    }
    if (line.startsWith(' ') && key) {
      out.set(key, out.get(key)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    key = line.slice(0, colon).trim();
    out.set(key, line.slice(colon + 1).trim());
  }
  return out;
}

/** `commons-lang3-3.11.jar` → [commons-lang3, 3.11]. */
export function fileNameCoordinates(name: string): [string, string | undefined] {
  const stem = name.replace(ARCHIVE, '');
  const m = /^(.+?)-(\d[\w.+-]*)$/.exec(stem);
  return m ? [m[1]!, m[2]] : [stem, undefined];
}

/** `META-INF/maven/<groupId>/<artifactId>/<file>` → [groupId, artifactId]. */
function mavenPathCoordinates(entry: string): [string, string] | undefined {
  const m = /(?:^|\/)META-INF\/maven\/([^/]+)\/([^/]+)\/[^/]+$/.exec(entry);
  return m ? [m[1]!, m[2]!] : undefined;
}

interface Found {
  name: string;
  version: string;
  licenses?: string[];
}

function fromManifest(mf: Map<string, string>, fileName: string): Found | undefined {
  const [fileArtifact, fileVersion] = fileNameCoordinates(fileName);
  const version = mf.get('Implementation-Version') ?? mf.get('Bundle-Version') ?? mf.get('Specification-Version') ?? fileVersion;
  if (!version) return undefined;
  const symbolic = mf.get('Bundle-SymbolicName')?.split(';')[0]?.trim();
  const title = mf.get('Implementation-Title');
  const group = mf.get('Implementation-Vendor-Id') ?? mf.get('Automatic-Module-Name')?.replace(/\.[^.]+$/, '') ?? symbolic?.replace(/\.[^.]+$/, '');
  const artifact =
    (fileVersion ? fileArtifact : undefined) ?? (title && !/\s/.test(title) ? title : undefined) ?? symbolic?.split('.').pop() ?? fileArtifact;
  const lic = mf.get('Bundle-License');
  return { name: group ? `${group}:${artifact}` : artifact, version, ...(lic ? { licenses: lic.split(',').map((s) => s.split(';')[0]!) } : {}) };
}

/**
 * What one top-level archive yields, before it is tied to a layer: the packages found (with the
 * display path of the archive, nested or not) and the warnings. This is also distill()'s output.
 */
interface ArchiveFindings {
  /** The archive's path when it was read (package paths start with it). */
  root: string;
  packages: (Found & { path: string })[];
  warnings: { code: string; what: string }[];
}

/** Synchronous (src/util/zip-memory.ts): a jar is read with no event-loop turn per entry. */
function scanArchive(buf: Buffer, displayPath: string, depth: number, budget: Budget, out: ArchiveFindings): void {
  const found: Found[] = [];
  let manifest: Map<string, string> | undefined;
  // Coordinates named only by a META-INF/maven/<g>/<a>/ directory (a pom.xml, no pom.properties).
  const pomDirs = new Map<string, [string, string]>();
  for (const entry of memoryZipEntries(buf)) {
    if (!ACTED_ON_TAILS.has(entry.tail)) continue;
    const n = entry.fileName;
    if (n.endsWith('/')) continue;
    if (n.endsWith('pom.properties')) {
      const p = parseProperties(readMemoryEntry(buf, entry, JAVA_LIMITS.maxTextEntry, budget).toString('utf8'));
      const fromPath = mavenPathCoordinates(n);
      const g = p.get('groupId') || fromPath?.[0];
      const a = p.get('artifactId') || fromPath?.[1];
      const v = p.get('version');
      if (g && a && v) found.push({ name: `${g}:${a}`, version: v });
      if (fromPath) pomDirs.delete(fromPath.join(':'));
    } else if (n.endsWith('/pom.xml')) {
      const fromPath = mavenPathCoordinates(n);
      if (fromPath && !found.some((f) => f.name === fromPath.join(':'))) pomDirs.set(fromPath.join(':'), fromPath);
    } else if (n === 'META-INF/MANIFEST.MF') {
      manifest = parseManifest(readMemoryEntry(buf, entry, JAVA_LIMITS.maxTextEntry, budget).toString('utf8'));
    } else if (ARCHIVE.test(n)) {
      if (depth + 1 > JAVA_LIMITS.maxDepth) {
        if (!budget.depthWarned) out.warnings.push({ code: 'java.nesting', what: `archives nested deeper than ${JAVA_LIMITS.maxDepth} levels are not read (${displayPath}!/${n})` });
        budget.depthWarned = true;
        continue;
      }
      // Nested archives are read one by one, so at most one per level is held (a stored one is
      // a view of its parent's bytes, not a copy).
      const data = readMemoryEntry(buf, entry, JAVA_LIMITS.maxNestedArchive, budget);
      try {
        scanArchive(data, `${displayPath}!/${n}`, depth + 1, budget, out);
      } catch (e) {
        if (e instanceof BudgetError) throw e;
        out.warnings.push({ code: 'java.archive', what: `${displayPath}!/${n} is not a readable archive (${errorText(e)})` });
      }
    }
  }
  if (found.length === 0 && pomDirs.size === 1) {
    // Maven's path names the artifact; the version is the manifest's (or the file name's).
    const [[name]] = [...pomDirs];
    const m = manifest ? fromManifest(manifest, basename(displayPath)) : undefined;
    const version = m?.version ?? fileNameCoordinates(basename(displayPath))[1];
    if (version) found.push({ name: name!, version, ...(m?.licenses ? { licenses: m.licenses } : {}) });
  }
  if (found.length === 0 && manifest) {
    const m = fromManifest(manifest, basename(displayPath));
    if (m) found.push(m);
  }
  if (found.length === 0) {
    const [artifact, version] = fileNameCoordinates(basename(displayPath));
    if (version) found.push({ name: artifact, version });
  }
  const seen = new Set<string>();
  for (const f of found) {
    const key = `${f.name}@${f.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.packages.push({ ...f, path: displayPath });
  }
}

/** Everything one archive yields (reading errors become warnings; packages found before them stay). */
function findingsOf(path: string, data: Buffer): ArchiveFindings {
  const out: ArchiveFindings = { root: path, packages: [], warnings: [] };
  const budget: Budget = { left: JAVA_LIMITS.maxTotalInflated, depthWarned: false };
  try {
    scanArchive(data, path, 0, budget, out);
  } catch (e) {
    // An entry that inflates past its declared size stops ("too many bytes in the stream").
    const bomb = e instanceof BudgetError || /too many bytes/.test(errorText(e));
    const what = bomb ? `looks like a zip bomb, reading stopped (${errorText(e)})` : `not a readable zip archive (${errorText(e)})`;
    out.warnings.push({ code: 'java.archive', what });
  }
  return out;
}

export const javaArchiveCataloger: Cataloger = {
  name: FOUND_BY,
  version: 4,
  kind: 'language',
  attribution: 'file',
  maxFileSize: 160 * 1024 * 1024,
  sizeBlind: true,
  wants(path: string): boolean {
    return ARCHIVE.test(path);
  },
  // The archive is read once, at capture; only the coordinates found (and warnings) are kept.
  distill(path: string, data: Buffer): Buffer {
    return Buffer.from(JSON.stringify(findingsOf(path, data)), 'utf8');
  },
  async parse(files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
    const out: Package[] = [];
    // The same archive often lies in many places (an app's lib dir copied per service): its package
    // is made once (a purl costs ~45 µs in packageurl-js) and copied for each place it lies.
    const made = new Map<string, Package>();
    for (const f of files) {
      const found = f.distilled ? (JSON.parse(f.data.toString('utf8')) as ArchiveFindings) : findingsOf(f.path, f.data);
      for (const w of found.warnings) warnFile(ctx, f, w.code, w.what);
      // Paths inside the findings name the archive where it was captured; under a symlink or
      // usr-merge alias the file is seen at another path, which then leads.
      for (const p of found.packages) {
        const path = p.path.startsWith(found.root) ? f.path + p.path.slice(found.root.length) : p.path;
        const key = JSON.stringify([p.name, p.version, p.licenses ?? null]);
        const first = made.get(key);
        if (first) out.push({ ...first, path, layer: f.layer, ...(first.licenses ? { licenses: [...first.licenses] } : {}) });
        else {
          const pkg = makePackage('maven', FOUND_BY, f, { name: p.name, version: p.version, ...(p.licenses ? { licenses: p.licenses } : {}), path });
          made.set(key, pkg);
          out.push(pkg);
        }
      }
    }
    return out;
  },
};
