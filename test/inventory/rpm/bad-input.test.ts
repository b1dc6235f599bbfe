// Hostile and broken rpm databases: warnings, never an exception, never a hang.
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { decodeHeader, RpmHeaderError } from '../../../src/inventory/rpm/header.js';
import { readBdbHash } from '../../../src/inventory/rpm/bdb.js';
import { readNdb } from '../../../src/inventory/rpm/ndb.js';
import { readSqlite } from '../../../src/inventory/rpm/sqlite.js';
import { HAVE_SHARED, shared } from '../../helpers/shared.js';
import { rpmDbFixtures, variantBytes } from './build-rpm-root.js';
import { catalog, walked } from './support.js';

let dir = '';
let header: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  ({ dir } = await rpmDbFixtures());
  const blob = readNdb(variantBytes(dir, 'ndb')).blobs[0]?.blob;
  if (!blob) throw new Error('no header blob in the ndb fixture');
  header = blob;
});

const PATHS = {
  sqlite: '/var/lib/rpm/rpmdb.sqlite',
  bdbLe: '/var/lib/rpm/Packages',
  bdbBe: '/var/lib/rpm/Packages',
  ndb: '/usr/lib/sysimage/rpm/Packages.db',
} as const;

/** Replaces bytes of `base` at the given positions (positions taken modulo its length). */
function mutate(base: Buffer, edits: Array<[number, number]>): Buffer {
  const b = Buffer.from(base);
  for (const [pos, val] of edits) b[pos % b.length] = val;
  return b;
}

const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 24 });

describe('rpm header decoder on hostile blobs', () => {
  it('decodes the real header', () => {
    expect(decodeHeader(header).name).toMatch(/^portcullis-|^gpg-pubkey$/);
  });

  it('rejects short, lying and unterminated headers with RpmHeaderError', () => {
    expect(() => decodeHeader(Buffer.alloc(3))).toThrow(RpmHeaderError);
    const lying = Buffer.from(header);
    lying.writeUInt32BE(0x7fffffff, 4); // data length far past the blob
    expect(() => decodeHeader(lying)).toThrow(RpmHeaderError);
    const manyEntries = Buffer.from(header);
    manyEntries.writeUInt32BE(0xffff, 0);
    expect(() => decodeHeader(manyEntries)).toThrow(RpmHeaderError);
    // Point every index entry's offset past the data store.
    const badOffsets = Buffer.from(header);
    const il = badOffsets.readUInt32BE(0);
    for (let i = 0; i < il; i++) badOffsets.writeUInt32BE(0xfffffff0, 8 + i * 16 + 8);
    expect(() => decodeHeader(badOffsets)).toThrow(RpmHeaderError);
  });

  it('property: a mutated header decodes or throws RpmHeaderError, nothing else', () => {
    fc.assert(
      fc.property(edits, (e) => {
        try {
          decodeHeader(mutate(header, e));
        } catch (err) {
          expect(err).toBeInstanceOf(RpmHeaderError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: a truncated header throws RpmHeaderError', () => {
    fc.assert(
      fc.property(fc.nat(), (n) => {
        expect(() => decodeHeader(header.subarray(0, n % header.length))).toThrow(RpmHeaderError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('rpm db readers on broken files', () => {
  it('random bytes under every db name: warnings only', async () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), (bytes) => {
        const data = Buffer.from(bytes);
        for (const r of [readBdbHash(data), readNdb(data), readSqlite(data, undefined, 1 << 20)]) {
          expect(r.blobs.length).toBe(0);
          expect(r.problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
    for (const path of Object.values(PATHS)) {
      const { packages, warnings } = await catalog([walked(path, Buffer.from('not a database at all'))]);
      expect(packages).toEqual([]);
      expect(warnings.map((w) => w.code)).toEqual(['rpm.db']);
      expect(warnings[0]?.path).toBe(path);
    }
  });

  for (const variant of ['sqlite', 'bdbLe', 'bdbBe', 'ndb'] as const) {
    it(`${variant}: every truncation gives some packages and/or warnings, never an exception`, async () => {
      const full = variantBytes(dir, variant);
      const whole = await catalog([walked(PATHS[variant], full)]);
      for (let cut = 0; cut < full.length; cut += Math.max(1, Math.floor(full.length / 97))) {
        const r = await catalog([walked(PATHS[variant], full.subarray(0, cut))]);
        expect(r.packages.length).toBeLessThanOrEqual(whole.packages.length);
        if (r.packages.length < whole.packages.length) expect(r.warnings.length).toBeGreaterThan(0);
      }
    });

    it(`${variant}: property: mutated pages give only packages and warnings`, async () => {
      const full = variantBytes(dir, variant);
      // Mutations aimed at the structure (first pages / slot area) as well as anywhere.
      const structural = fc.array(fc.tuple(fc.nat({ max: Math.min(full.length, 8192) - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 16 });
      await fc.assert(
        fc.asyncProperty(fc.oneof(structural, edits), async (e) => {
          const r = await catalog([walked(PATHS[variant], mutate(full, e))]);
          for (const w of r.warnings) expect(['rpm.db', 'rpm.header']).toContain(w.code);
          for (const p of r.packages) expect(typeof p.name).toBe('string');
        }),
        { numRuns: variant === 'sqlite' ? 150 : 600 },
      );
    });
  }

  it('a BerkeleyDB overflow chain that loops or points outside the file is a warning', () => {
    const data = Buffer.from(variantBytes(dir, 'bdbLe'));
    const pageSize = 4096;
    // Make every overflow page point to itself (or past the end): the reader must stop.
    for (let p = 1; p < data.length / pageSize; p++) {
      if (data[p * pageSize + 25] === 7) data.writeUInt32LE(p % 2 ? p : 999_999, p * pageSize + 16);
    }
    const r = readBdbHash(data);
    expect(r.problems.some((m) => /loops|outside/.test(m))).toBe(true);
  });

  it('an NDB slot whose blob lies about its length or owner is skipped with a warning', () => {
    const data = Buffer.from(variantBytes(dir, 'ndb'));
    const good = readNdb(data).blobs.length;
    data.writeUInt32LE(0xffffffff, 32 + 8); // slot 0: block offset far past the file
    data.writeUInt32LE(77, 32 + 16 + 4); // slot 1: package index no blob carries
    const r = readNdb(data);
    expect(r.blobs.length).toBe(good - 2);
    expect(r.problems.length).toBe(2);
  });

  it('property: a mutated WAL is folded whole or not at all, never as garbage', () => {
    const db = variantBytes(dir, 'walDb');
    const wal = variantBytes(dir, 'walLog');
    const names = (w: Buffer): string[] => readSqlite(db, w, 64 << 20).blobs.map((b) => decodeHeader(b.blob).name).sort();
    const withLate = names(wal);
    const without = names(Buffer.alloc(0));
    expect(withLate).toContain('portcullis-late');
    expect(without).not.toContain('portcullis-late');
    fc.assert(
      fc.property(edits, (e) => {
        // Checksums cover every frame: a changed WAL gives the db with or without the one
        // transaction, never a half-applied or corrupted one.
        expect([without, withLate]).toContainEqual(names(mutate(wal, e)));
      }),
      { numRuns: 200 },
    );
  });

  it.skipIf(!HAVE_SHARED)('a mutated real NDB and BDB from the shared fixtures only warns', async () => {
    const ndb = readFileSync(shared('data/pkgdb/rpm/go-rpmdb-sle15-bci-ndb/usr/lib/sysimage/rpm/Packages.db'));
    const bdb = readFileSync(shared('data/pkgdb/rpm/go-rpmdb-libuuid-bdb/var/lib/rpm/Packages'));
    await fc.assert(
      fc.asyncProperty(edits, async (e) => {
        await catalog([walked(PATHS.ndb, mutate(ndb, e)), walked(PATHS.bdbLe, mutate(bdb, e))]);
      }),
      { numRuns: 200 },
    );
  });
});
