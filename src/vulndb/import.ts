// `db import`: OSV JSON files, directories (recursive), OSV all.zip archives, and the enrichment
// feeds (KEV JSON, EPSS CSV[.gz], NVD CVE API 2.0 JSON), each recognised by content.
import { createReadStream, readFileSync, openSync, readSync, closeSync, statSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { gunzipSync, createGunzip } from 'node:zlib';
import { join, resolve } from 'node:path';
import { PortcullisError, errorMessage } from '../errors.js';
import type { OsvRecord } from '../model/osv.js';
import { recordInEcosystems } from './ecosystem.js';
import { EpssLineParser, isKevCatalog, isNvdFeed, kevRows, looksLikeEpss, nvdRows } from './enrichment-parse.js';
import { laterOf, normaliseTime } from './stats.js';
import { checkOsvRecord, looksLikeOsvRecord, stripNulls } from './validate.js';
import type { DbWriter } from './writer.js';
import { zipEntries } from './zip.js';

export interface ImportStats {
  files: number;
  added: number;
  replaced: number;
  /** Records already present with the same or a newer `modified`. */
  kept: number;
  /** Records outside the `--ecosystem` filters. */
  filtered: number;
  invalid: number;
  kev: number;
  epss: number;
  nvd: number;
  /** Newest `modified` (ISO 8601, UTC) of the OSV records taken (added, replaced, kept, moved): the data's date. */
  newest?: string;
  /** Date the enrichment feeds state for themselves (KEV dateReleased, EPSS score_date, NVD timestamp). */
  intelDate?: string;
  /** The first skip reason (an invalid record, a file that is no feed), for a one-line error. */
  firstProblem?: string;
  warnings: string[];
}

export interface ImportOptions {
  /** Keep only records with an affected package in one of these ecosystems (prefix at `:`). */
  ecosystems?: readonly string[];
  /** Name stored as the record's source. */
  source: string;
  warn?: (message: string) => void;
  /** Called every few thousand records (progress). */
  onProgress?: (stats: ImportStats) => void;
  /** A KEV / EPSS feed replaces the previous one entirely (db update); imports merge. */
  replaceEnrichment?: boolean;
}

const MAX_JSON_BYTES = 512 * 1024 * 1024;
const MAX_GZ_BYTES = 512 * 1024 * 1024;

export function emptyStats(): ImportStats {
  return { files: 0, added: 0, replaced: 0, kept: 0, filtered: 0, invalid: 0, kev: 0, epss: 0, nvd: 0, warnings: [] };
}

export class Importer {
  readonly stats = emptyStats();
  private readonly filters: readonly string[];

  constructor(private readonly writer: DbWriter, private readonly opts: ImportOptions) {
    this.filters = opts.ecosystems ?? [];
  }

  private warn(message: string): void {
    this.stats.firstProblem ??= message;
    this.stats.warnings.push(message);
    this.opts.warn?.(message);
  }

  private progress(): void {
    const n = this.stats.added + this.stats.replaced + this.stats.kept + this.stats.filtered;
    if (n % 5000 === 0) this.opts.onProgress?.(this.stats);
  }

  /** One parsed OSV record: validated, filtered, upserted. */
  record(value: unknown, where: string): void {
    const problem = checkOsvRecord(value);
    if (problem) {
      this.stats.invalid++;
      this.warn(`${where}: skipped invalid OSV record: ${problem.field} ${problem.message}`);
      return;
    }
    const record = stripNulls(value as OsvRecord);
    if (!recordInEcosystems(record, this.filters)) {
      this.stats.filtered++;
      this.progress();
      return;
    }
    const r = this.writer.upsert(record, this.opts.source);
    this.stats[r === 'added' ? 'added' : r === 'replaced' ? 'replaced' : 'kept']++;
    const modified = normaliseTime(record.modified);
    if (this.stats.newest === undefined || modified > this.stats.newest) this.stats.newest = modified;
    this.progress();
  }

  /** A whole JSON document: an OSV record, a list / `{vulns}` of them, KEV or NVD. */
  json(text: string, where: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.stats.invalid++;
      // Only the position: the parser's message can quote the file's content (maybe a secret).
      const at = /position (\d+)/.exec(errorMessage(err))?.[1];
      this.warn(`${where}: skipped: invalid JSON${at ? ` at position ${at}` : ''}`);
      return;
    }
    if (isKevCatalog(value)) {
      if (this.opts.replaceEnrichment) this.writer.clearEnrichment('kev');
      // The catalog's own release date; without one, its newest entry is the best lower bound.
      let date = feedDate((value as { dateReleased?: unknown }).dateReleased);
      for (const row of kevRows(value, (i, f) => this.warn(`${where}: KEV entry ${i}: bad ${f}`))) {
        this.writer.kev(row);
        this.stats.kev++;
        if (!feedDate((value as { dateReleased?: unknown }).dateReleased)) date = laterOf(date, feedDate(row.entry.dateAdded));
      }
      this.stats.intelDate = laterOf(this.stats.intelDate, date);
    } else if (isNvdFeed(value)) {
      for (const row of nvdRows(value)) {
        this.writer.nvd(row);
        this.stats.nvd++;
      }
      this.stats.intelDate = laterOf(this.stats.intelDate, feedDate((value as { timestamp?: unknown }).timestamp));
    } else if (Array.isArray(value) && value.some(looksLikeOsvRecord)) {
      // A list of records: each is checked on its own, so one broken entry costs a warning, not
      // the whole file (it used to skip every valid record beside it).
      value.forEach((v, i) => this.record(v, `${where}[${i}]`));
    } else if (typeof value === 'object' && value !== null && Array.isArray((value as { vulns?: unknown }).vulns)) {
      (value as { vulns: unknown[] }).vulns.forEach((v, i) => this.record(v, `${where} vulns[${i}]`));
    } else if (looksLikeOsvRecord(value)) {
      this.record(value, where);
    } else {
      this.warn(`${where}: skipped: not an OSV record, KEV catalog, NVD feed or EPSS CSV`);
    }
  }

  /** EPSS CSV text, line by line. */
  async epssLines(lines: AsyncIterable<string> | Iterable<string>, where: string): Promise<void> {
    if (this.opts.replaceEnrichment) this.writer.clearEnrichment('epss');
    const parser = new EpssLineParser((line, why) => {
      if (this.stats.warnings.length < 1000) this.warn(`${where}:${line}: skipped EPSS line: ${why}`);
    });
    let date: string | undefined;
    for await (const line of lines) {
      const row = parser.parse(line);
      if (row) {
        this.writer.epss(row);
        this.stats.epss++;
        date = laterOf(date, feedDate(row.date));
      }
    }
    this.stats.intelDate = laterOf(this.stats.intelDate, date);
  }

  /** Bytes of one file or zip entry, recognised by content. */
  async buffer(data: Buffer, where: string): Promise<void> {
    if (data[0] === 0x1f && data[1] === 0x8b) {
      let inflated: Buffer;
      try {
        inflated = gunzipSync(data, { maxOutputLength: MAX_GZ_BYTES });
      } catch (err) {
        this.warn(`${where}: skipped: corrupt gzip (${errorMessage(err)})`);
        return;
      }
      return this.buffer(inflated, where);
    }
    const text = data.toString('utf8');
    if (looksLikeEpss(text.slice(0, 64))) return this.epssLines(text.split('\n'), where);
    this.json(text, where);
  }

  async zip(path: string): Promise<void> {
    for await (const entry of zipEntries(path)) {
      await this.buffer(entry.data, `${path}!${entry.name}`);
    }
  }

  /** A file or directory argument of `db import`. */
  async path(arg: string): Promise<void> {
    const p = resolve(arg);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw new PortcullisError(`cannot read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, { subject: p });
    }
    if (st.isDirectory()) {
      for (const file of walk(p)) await this.file(file, false);
    } else {
      await this.file(p, true);
    }
  }

  private async file(path: string, explicit: boolean): Promise<void> {
    this.stats.files++;
    const head = readHead(path, 64);
    if (head[0] === 0x50 && head[1] === 0x4b) return this.zip(path);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      // EPSS .csv.gz is the one large gzip we expect: stream it line by line.
      const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
      const first: string[] = [];
      const it = lines[Symbol.asyncIterator]();
      const n = await it.next();
      if (!n.done) first.push(n.value);
      if (first[0] !== undefined && looksLikeEpss(first[0])) {
        return this.epssLines(chain(first, it), path);
      }
      lines.close();
      return this.buffer(await readFile(path), path);
    }
    if (looksLikeEpss(head.toString('utf8'))) {
      return this.epssLines(createInterface({ input: createReadStream(path), crlfDelay: Infinity }), path);
    }
    const size = statSync(path).size;
    if (size > MAX_JSON_BYTES) {
      this.warn(`${path}: skipped: ${size} bytes is over the ${MAX_JSON_BYTES}-byte limit for one JSON document`);
      return;
    }
    if (!explicit && !path.endsWith('.json')) return;
    this.json(readFileSync(path, 'utf8'), path);
  }
}

/** A feed's date as ISO 8601, or undefined when absent or unparseable. */
function feedDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

async function* chain(first: string[], rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield* first;
  for (;;) {
    const n = await rest.next();
    if (n.done) return;
    yield n.value;
  }
}

function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Files under a directory, sorted, that an import can read (json, zip, csv, gz). */
function* walk(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile() && /\.(json|zip|csv|gz)$/i.test(e.name)) yield p;
  }
}
