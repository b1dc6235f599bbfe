// `db import` as a library call: build beside the DB, import, publish only when complete.
import { resolve } from 'node:path';
import { PortcullisError, errorMessage } from '../errors.js';
import { emptyStats, Importer, type ImportStats } from './import.js';
import { laterOf, settleImportSources } from './stats.js';
import { beginBuild } from './store.js';
import { DbWriter } from './writer.js';

export interface ImportFilesOptions {
  ecosystems?: readonly string[];
  warn?: (message: string) => void;
  onProgress?: (stats: ImportStats) => void;
}

/**
 * Imports files / directories / zips into the DB at `dbPath` (created when absent). On any error
 * the DB is left exactly as it was; when nothing was added or changed it is not rewritten either.
 */
export async function importFiles(dbPath: string, paths: readonly string[], opts: ImportFilesOptions = {}): Promise<ImportStats> {
  const build = beginBuild(dbPath);
  try {
    const writer = new DbWriter(build.db);
    let total: ImportStats | undefined;
    for (const p of paths) {
      const abs = resolve(p);
      const importer = new Importer(writer, { source: `file:${abs}`, ecosystems: opts.ecosystems, warn: opts.warn, onProgress: opts.onProgress });
      await importer.path(abs);
      writer.flush();
      const s = importer.stats;
      const records = s.added + s.replaced + s.kept;
      const enrich = s.kev + s.epss + s.nvd;
      if (records + enrich + s.filtered === 0) {
        // Nothing usable: an import that "succeeds" with no data would only look like coverage.
        const why = s.firstProblem ? `${s.warnings.length} rejected; first: ${firstReason(s.firstProblem, abs)}` : 'nothing to import';
        throw new PortcullisError(`no valid OSV record or enrichment entry (${why})`, { subject: abs });
      }
      if (records + enrich > 0) {
        const kind = records > 0 ? 'import' : s.kev > 0 ? 'kev' : s.epss > 0 ? 'epss' : 'nvd';
        // The data's own date (docs/database.md, Freshness), never the time of the import.
        // A feed that states no date of its own (an EPSS CSV without its header line) is dated by
        // the import: the only date there is.
        const fetchedAt = new Date().toISOString();
        const dataDate = records > 0 ? s.newest : (s.intelDate ?? fetchedAt);
        writer.setSource({ name: `file:${abs}`, kind, fetchedAt, records: records + enrich, ...(dataDate ? { dataDate } : {}) });
      }
      total = total ? merge(total, s) : s;
    }
    writer.finish();
    settleImportSources(build.db);
    const t = total ?? emptyStats();
    if (writer.changed || !build.fromExisting) build.publish();
    else build.discard();
    return t;
  } catch (err) {
    build.discard();
    throw asUserError(err, dbPath);
  }
}

/** SQLite / file-system failures while writing (disk full, read-only, I/O) are the user's to fix: one line, exit 2. */
function asUserError(err: unknown, dbPath: string): unknown {
  if (err instanceof PortcullisError) return err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && (code.startsWith('SQLITE_') || /^E[A-Z]+$/.test(code))) {
    return new PortcullisError(`cannot write the database (${code}): ${errorMessage(err)}`, { subject: dbPath, cause: err });
  }
  return err;
}

/** A skip message without the path it starts with (the error names the file already). */
function firstReason(message: string, abs: string): string {
  return message.startsWith(`${abs}: `) ? message.slice(abs.length + 2) : message;
}

function merge(a: ImportStats, b: ImportStats): ImportStats {
  return {
    files: a.files + b.files,
    added: a.added + b.added,
    replaced: a.replaced + b.replaced,
    kept: a.kept + b.kept,
    filtered: a.filtered + b.filtered,
    invalid: a.invalid + b.invalid,
    kev: a.kev + b.kev,
    epss: a.epss + b.epss,
    nvd: a.nvd + b.nvd,
    ...(laterOf(a.newest, b.newest) ? { newest: laterOf(a.newest, b.newest)! } : {}),
    ...(laterOf(a.intelDate, b.intelDate) ? { intelDate: laterOf(a.intelDate, b.intelDate)! } : {}),
    ...(a.firstProblem ?? b.firstProblem ? { firstProblem: (a.firstProblem ?? b.firstProblem)! } : {}),
    warnings: [...a.warnings, ...b.warnings],
  };
}
