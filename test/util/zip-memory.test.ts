// The synchronous in-memory zip reader (src/util/zip-memory.ts) against yauzl, the reader it
// replaces for jars: on real archives (Debian's jars, archives Info-ZIP's `zip` writes: zip64,
// non-ASCII names, encryption) and on thousands of damaged copies of them, both must list the same
// entries and stop with the same error at the same record; entry bytes must equal what yauzl's
// stream inflates, and a corrupt or lying entry must fail.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openZipBuffer, readEntry, zipEntries, type ZipEntry } from '../../src/util/zip.js';
import { BudgetError, memoryZipEntries, readMemoryEntry, tailOf, type MemoryZipEntry } from '../../src/util/zip-memory.js';
import { zipOf } from '../helpers/zip.js';

const work = mkdtempSync(join(tmpdir(), 'zip-memory-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Listed = { entries: string[]; error?: string };
const fields = (e: MemoryZipEntry | ZipEntry): string =>
  JSON.stringify([e.fileName, 'flags' in e ? e.flags : e.generalPurposeBitFlag, e.compressionMethod, e.crc32, e.compressedSize, e.uncompressedSize, e.relativeOffsetOfLocalHeader]);

async function viaYauzl(buf: Buffer): Promise<Listed> {
  const entries: string[] = [];
  try {
    const zip = await openZipBuffer(buf);
    try {
      for await (const e of zipEntries(zip)) entries.push(fields(e));
    } finally {
      zip.close();
    }
    return { entries };
  } catch (e) {
    return { entries, error: (e as Error).message };
  }
}

function viaMemory(buf: Buffer): Listed {
  const entries: string[] = [];
  try {
    for (const e of memoryZipEntries(buf)) {
      entries.push(fields(e));
      // The cheap ending test agrees with the decoded name (`\\` read as `/` in both).
      if (e.tail !== tailOf(e.fileName)) entries.push(`tail ${e.tail} of ${e.fileName}`);
    }
    return { entries };
  } catch (e) {
    return { entries, error: (e as Error).message };
  }
}

/** Distinct real jars Debian installed (most names under /usr/share/java are links). */
function realJars(): string[] {
  const out = new Set<string>();
  for (const dir of ['/usr/share/java', '/usr/share/maven/lib']) {
    if (!existsSync(dir)) continue;
    for (const n of readdirSync(dir)) {
      if (!n.endsWith('.jar')) continue;
      try {
        const p = realpathSync(join(dir, n));
        if (statSync(p).isFile()) out.add(p);
      } catch {
        // a dangling link
      }
    }
  }
  return [...out].sort();
}

/** `zip ARGS OUT .` run in `cwd`, written to a file (not a pipe: zip then seeks back to fill in sizes). */
function zipTool(cwd: string, args: string[], input?: Buffer): Buffer {
  const out = join(work, `out-${args.join('')}.zip`);
  rmSync(out, { force: true });
  execFileSync('zip', [...args, out, '.'], { cwd, ...(input ? { input } : {}) });
  return readFileSync(out);
}

const yazlZip = (entries: { name: string; data: Buffer }[]): Promise<Buffer> => zipOf(entries);

/**
 * Archives Info-ZIP writes, each with a feature the reader must handle as yauzl does. Info-ZIP
 * here stores a non-ASCII name as raw bytes without the UTF-8 flag (so both readers decode it as
 * cp437); yazl sets the flag.
 */
function toolArchives(): Record<string, Buffer> {
  const src = join(work, 'src');
  mkdirSync(join(src, 'META-INF', 'maven', 'g', 'a'), { recursive: true });
  writeFileSync(join(src, 'META-INF', 'maven', 'g', 'a', 'pom.properties'), 'groupId=g\nartifactId=a\nversion=1.0\n'.repeat(50));
  writeFileSync(join(src, 'Ünïcödé-名前.txt'), 'non-ASCII name\n');
  writeFileSync(join(src, 'plain.txt'), 'x'.repeat(10_000));
  const out: Record<string, Buffer> = {};
  out.deflated = zipTool(src, ['-q', '-r']);
  out.stored = zipTool(src, ['-q', '-r', '-0']);
  out.encrypted = zipTool(src, ['-q', '-r', '-P', 'secret']);
  out.commented = zipTool(src, ['-q', '-r', '-z'], Buffer.from('an archive comment\n'));
  // -fz: zip64 records (end record, locator, extra fields), as archives over 4 GiB need.
  out.zip64 = zipTool(src, ['-q', '-r', '-fz']);
  return out;
}

/** A seeded generator, so a failure names a case that can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

function eocdAt(buf: Buffer): number {
  for (let i = buf.length - 22; i >= 0; i--) if (buf.readUInt32LE(i) === 0x06054b50) return i;
  throw new Error('no EOCD');
}

describe('in-memory zip reader vs yauzl', () => {
  const jars = realJars();

  it.skipIf(jars.length === 0)('lists every record of every Debian jar as yauzl does', async () => {
    let records = 0;
    for (const jar of jars) {
      const buf = readFileSync(jar);
      const mine = viaMemory(buf);
      expect(mine, jar).toEqual(await viaYauzl(buf));
      records += mine.entries.length;
    }
    expect(records).toBeGreaterThan(1000);
  }, 120_000);

  it('lists archives Info-ZIP writes (zip64, non-ASCII names, encryption, comment) as yauzl does', async () => {
    const archives: Record<string, Buffer> = { ...toolArchives(), utf8: await yazlZip([{ name: 'dir/Ünïcödé-名前.txt', data: Buffer.from('x') }]) };
    for (const [what, buf] of Object.entries(archives)) {
      const mine = viaMemory(buf);
      expect(mine.error, what).toBeUndefined();
      expect(mine, what).toEqual(await viaYauzl(buf));
    }
    // The features really are there: a zip64 record and the Unicode name.
    expect(archives.zip64!.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    expect(viaMemory(archives.deflated!).entries.some((e) => /[^\x20-\x7e]/.test(e))).toBe(true);
    expect(viaMemory(archives.utf8!).entries[0]).toContain('"dir/Ünïcödé-名前.txt"');
  });

  it('fails where yauzl fails, with its message, on damaged copies (names, directory, EOCD, truncation)', async () => {
    const bases = Object.values(toolArchives());
    const small = jars.map((j) => readFileSync(j)).filter((b) => b.length < 200_000).slice(0, 3);
    bases.push(...small);
    const random = rng(20);
    const seen = new Set<string>();
    let cases = 0;
    for (const base of bases) {
      const eocd = eocdAt(base);
      const cd = base.readUInt32LE(eocd + 16) === 0xffffffff ? Math.max(0, eocd - 200) : base.readUInt32LE(eocd + 16);
      for (let k = 0; k < 300; k++) {
        const buf = Buffer.from(base);
        const mode = k % 3;
        if (mode === 0) {
          // one to three bytes of the central directory or end records set at random
          for (let n = 1 + Math.floor(random() * 3); n > 0; n--) buf[cd + Math.floor(random() * (buf.length - cd))] = Math.floor(random() * 256);
        } else if (mode === 1) {
          // a name byte made a path separator, a dot, a drive colon or a non-ASCII byte
          const at = cd + 46 + Math.floor(random() * Math.max(1, buf.readUInt16LE(cd + 28)));
          buf[at] = [0x2f, 0x5c, 0x2e, 0x3a, 0x80, 0x00, 0xff][Math.floor(random() * 7)]!;
          if (random() < 0.5) buf[at + 1] = 0x2e;
        }
        const cut = mode === 2 ? buf.subarray(0, cd + Math.floor(random() * (buf.length - cd))) : buf;
        const mine = viaMemory(cut);
        expect(mine, `base ${bases.indexOf(base)} case ${k}`).toEqual(await viaYauzl(cut));
        if (mine.error) seen.add(mine.error.replace(/[0-9a-f]+$|: .*$/, ''));
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(2000);
    // The damage reached several of the checks, not one.
    expect(seen.size, [...seen].join('\n')).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('names that escape the archive fail as in yauzl (absolute, drive letter, `..`, backslashes read as `/`)', async () => {
    const base = toolArchives().stored!;
    const cd = base.readUInt32LE(eocdAt(base) + 16);
    const nameLength = base.readUInt16LE(cd + 28);
    for (const bad of ['/', 'C:', 'a/../', '\\', 'a\\..\\', '../']) {
      const buf = Buffer.from(base);
      buf.write(bad.padEnd(nameLength, 'x').slice(0, nameLength), cd + 46, 'latin1');
      const mine = viaMemory(buf);
      expect(mine.error, bad).toBeDefined();
      expect(mine, bad).toEqual(await viaYauzl(buf));
    }
  });
});

describe('in-memory entry reads', () => {
  it.skipIf(realJars().length === 0)('give the bytes yauzl inflates, for every entry of a few real jars', async () => {
    let compared = 0;
    for (const jar of realJars().slice(0, 6)) {
      const buf = readFileSync(jar);
      const zip = await openZipBuffer(buf);
      const mine = [...memoryZipEntries(buf)];
      let i = 0;
      for await (const e of zipEntries(zip)) {
        if (!e.fileName.endsWith('/')) {
          expect(readMemoryEntry(buf, mine[i]!, 64 << 20).equals(await readEntry(zip, e, 64 << 20)), `${jar}!/${e.fileName}`).toBe(true);
          compared++;
        }
        i++;
      }
      zip.close();
    }
    expect(compared).toBeGreaterThan(100);
  }, 120_000);

  it('a stored entry whose bytes no longer match its CRC-32 fails; so does one over the limit or the budget', () => {
    const buf = toolArchives().stored!;
    const entry = [...memoryZipEntries(buf)].find((e) => e.fileName.endsWith('plain.txt'))!;
    expect(readMemoryEntry(buf, entry, 1 << 20).length).toBe(10_000);
    expect(() => readMemoryEntry(buf, entry, 9_999)).toThrow(BudgetError);
    const budget = { left: 15_000 };
    readMemoryEntry(buf, entry, 1 << 20, budget);
    expect(budget.left).toBe(5_000);
    expect(() => readMemoryEntry(buf, entry, 1 << 20, budget)).toThrow(BudgetError);
    const at = buf.indexOf('x'.repeat(100));
    buf[at + 50] = 0x79;
    expect(() => readMemoryEntry(buf, entry, 1 << 20)).toThrow(/CRC-32 mismatch/);
  });

  it('an encrypted entry is refused, not read as data', () => {
    const buf = toolArchives().encrypted!;
    const entry = [...memoryZipEntries(buf)].find((e) => e.fileName.endsWith('plain.txt'))!;
    expect(() => readMemoryEntry(buf, entry, 1 << 20)).toThrow(/encrypted/);
  });
});
