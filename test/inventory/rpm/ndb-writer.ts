// Lays real rpm header blobs out as an rpm NDB `Packages.db` (Debian's rpm is built without the
// ndb backend, so tests cannot have rpm write one). Format: 32-byte header {"RpmP", version 0,
// generation, slot page count, next package index}; 16-byte slots {"Slot", pkgIdx, blkOff,
// blkCnt} filling the slot pages; then per package a blob {"BlbS", pkgIdx, generation, length},
// the header bytes, and a tail {adler32, length, "BlbE"}, padded to 16-byte blocks.
const PAGE = 4096;
const BLOCK = 16;

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

export function writeNdb(blobs: Buffer[], generation = 1): Buffer {
  const slotPages = Math.max(1, Math.ceil((32 + blobs.length * 16) / PAGE));
  const parts: Buffer[] = [];
  const slots = Buffer.alloc(slotPages * PAGE);
  slots.write('RpmP', 0, 'latin1');
  slots.writeUInt32LE(0, 4);
  slots.writeUInt32LE(generation, 8);
  slots.writeUInt32LE(slotPages, 12);
  slots.writeUInt32LE(blobs.length + 1, 16);
  // Unused slots are valid empty slots (magic set, package index 0).
  for (let at = 32; at + 16 <= slots.length; at += 16) slots.write('Slot', at, 'latin1');
  let blockOff = slots.length / BLOCK;
  blobs.forEach((blob, i) => {
    const pkgIdx = i + 1;
    const raw = 16 + blob.length + 12;
    const blocks = Math.ceil(raw / BLOCK);
    const out = Buffer.alloc(blocks * BLOCK);
    out.write('BlbS', 0, 'latin1');
    out.writeUInt32LE(pkgIdx, 4);
    out.writeUInt32LE(generation, 8);
    out.writeUInt32LE(blob.length, 12);
    blob.copy(out, 16);
    const tail = out.length - 12;
    out.writeUInt32LE(adler32(blob), tail);
    out.writeUInt32LE(blob.length, tail + 4);
    out.write('BlbE', tail + 8, 'latin1');
    const slot = 32 + i * 16;
    slots.writeUInt32LE(pkgIdx, slot + 4);
    slots.writeUInt32LE(blockOff, slot + 8);
    slots.writeUInt32LE(blocks, slot + 12);
    blockOff += blocks;
    parts.push(out);
  });
  return Buffer.concat([slots, ...parts]);
}
