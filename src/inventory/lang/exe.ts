// Just enough of ELF, PE and Mach-O to recognise an executable, map a virtual address to a file
// offset and find a named section. Every read is bounds-checked: input is hostile.

export type ExeFormat = 'elf' | 'pe' | 'macho';

export interface Segment {
  vaddr: bigint;
  offset: number;
  size: number;
}

export interface Section {
  name: string;
  offset: number;
  size: number;
}

export interface Executable {
  format: ExeFormat;
  littleEndian: boolean;
  ptrSize: 4 | 8;
  segments: Segment[];
  sections: Section[];
  /** Offset of the image inside the buffer (fat Mach-O slices). */
  base: number;
}

/** Magic-byte test on the first bytes of a file (a walker's sniff): could it be an executable? */
export function looksExecutable(head: Buffer): boolean {
  if (head.length < 4) return false;
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return true;
  if (head[0] === 0x4d && head[1] === 0x5a) return true;
  const m = head.readUInt32LE(0);
  return m === 0xfeedface || m === 0xfeedfacf || m === 0xcefaedfe || m === 0xcffaedfe || head.readUInt32BE(0) === 0xcafebabe;
}

/** Cheap magic-byte test: is this buffer an executable we can read? */
export function exeFormat(b: Buffer): ExeFormat | undefined {
  if (b.length < 64) return undefined;
  if (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return 'elf';
  if (b[0] === 0x4d && b[1] === 0x5a) return 'pe';
  const m = b.readUInt32LE(0);
  if (m === 0xfeedface || m === 0xfeedfacf || m === 0xcefaedfe || m === 0xcffaedfe) return 'macho';
  if (b.readUInt32BE(0) === 0xcafebabe && b.readUInt32BE(4) > 0 && b.readUInt32BE(4) <= 8) return 'macho';
  return undefined;
}

class Reader {
  constructor(readonly b: Buffer, readonly le: boolean) {}
  ok(off: number, n: number): boolean {
    return off >= 0 && off + n <= this.b.length;
  }
  u16(o: number): number {
    if (!this.ok(o, 2)) throw new RangeError('truncated header');
    return this.le ? this.b.readUInt16LE(o) : this.b.readUInt16BE(o);
  }
  u32(o: number): number {
    if (!this.ok(o, 4)) throw new RangeError('truncated header');
    return this.le ? this.b.readUInt32LE(o) : this.b.readUInt32BE(o);
  }
  u64(o: number): bigint {
    if (!this.ok(o, 8)) throw new RangeError('truncated header');
    return this.le ? this.b.readBigUInt64LE(o) : this.b.readBigUInt64BE(o);
  }
  cstr(o: number, max = 256): string {
    let end = o;
    while (end < this.b.length && end - o < max && this.b[end] !== 0) end++;
    return this.b.toString('latin1', o, end);
  }
}

const MAX_TABLE = 4096;

function elf(b: Buffer): Executable {
  const is64 = b[4] === 2;
  const le = b[5] !== 2;
  const r = new Reader(b, le);
  const phoff = Number(is64 ? r.u64(0x20) : BigInt(r.u32(0x1c)));
  const shoff = Number(is64 ? r.u64(0x28) : BigInt(r.u32(0x20)));
  const phentsize = r.u16(is64 ? 0x36 : 0x2a);
  const phnum = Math.min(r.u16(is64 ? 0x38 : 0x2c), MAX_TABLE);
  const shentsize = r.u16(is64 ? 0x3a : 0x2e);
  const shnum = Math.min(r.u16(is64 ? 0x3c : 0x30), MAX_TABLE);
  const shstrndx = r.u16(is64 ? 0x3e : 0x32);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (!r.ok(o, is64 ? 56 : 32)) break;
    if (r.u32(o) !== 1) continue; // PT_LOAD
    if (is64) segments.push({ offset: Number(r.u64(o + 8)), vaddr: r.u64(o + 16), size: Number(r.u64(o + 32)) });
    else segments.push({ offset: r.u32(o + 4), vaddr: BigInt(r.u32(o + 8)), size: r.u32(o + 16) });
  }
  const raw: { nameOff: number; offset: number; size: number; type: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    if (!r.ok(o, is64 ? 64 : 40)) break;
    const type = r.u32(o + 4);
    if (is64) raw.push({ nameOff: r.u32(o), type, offset: Number(r.u64(o + 24)), size: Number(r.u64(o + 32)) });
    else raw.push({ nameOff: r.u32(o), type, offset: r.u32(o + 16), size: r.u32(o + 20) });
  }
  const strtab = raw[shstrndx];
  const sections: Section[] = raw
    .filter((s) => s.type !== 8) // SHT_NOBITS has no file data
    .map((s) => ({ name: strtab ? r.cstr(strtab.offset + s.nameOff) : '', offset: s.offset, size: s.size }));
  return { format: 'elf', littleEndian: le, ptrSize: is64 ? 8 : 4, segments, sections, base: 0 };
}

function pe(b: Buffer): Executable {
  const r = new Reader(b, true);
  const peOff = r.u32(0x3c);
  if (r.u32(peOff) !== 0x00004550) throw new RangeError('no PE signature');
  const nsect = Math.min(r.u16(peOff + 6), MAX_TABLE);
  const optSize = r.u16(peOff + 20);
  const opt = peOff + 24;
  const magic = r.u16(opt);
  const is64 = magic === 0x20b;
  const imageBase = is64 ? r.u64(opt + 24) : BigInt(r.u32(opt + 28));
  const segments: Segment[] = [];
  const sections: Section[] = [];
  for (let i = 0; i < nsect; i++) {
    const o = opt + optSize + i * 40;
    if (!r.ok(o, 40)) break;
    const name = r.cstr(o, 8);
    const vaddr = imageBase + BigInt(r.u32(o + 12));
    const size = r.u32(o + 16);
    const offset = r.u32(o + 20);
    segments.push({ vaddr, offset, size });
    sections.push({ name, offset, size });
  }
  return { format: 'pe', littleEndian: true, ptrSize: is64 ? 8 : 4, segments, sections, base: 0 };
}

function macho(b: Buffer, base = 0, depth = 0): Executable {
  if (b.readUInt32BE(base) === 0xcafebabe) {
    if (depth > 0) throw new RangeError('nested fat Mach-O');
    const off = b.readUInt32BE(base + 8 + 8); // first fat_arch's offset
    if (off <= 0 || off >= b.length) throw new RangeError('bad fat Mach-O slice');
    return macho(b, off, 1);
  }
  const m = b.readUInt32LE(base);
  const le = m === 0xfeedface || m === 0xfeedfacf;
  const r = new Reader(b, le);
  const is64 = (le ? m : b.readUInt32BE(base)) === 0xfeedfacf;
  const ncmds = Math.min(r.u32(base + 16), MAX_TABLE);
  let o = base + (is64 ? 32 : 28);
  const segments: Segment[] = [];
  const sections: Section[] = [];
  for (let i = 0; i < ncmds; i++) {
    const cmd = r.u32(o);
    const size = r.u32(o + 4);
    if (size < 8) break;
    if (cmd === 0x19 || cmd === 0x1) {
      const seg64 = cmd === 0x19;
      const vaddr = seg64 ? r.u64(o + 24) : BigInt(r.u32(o + 24));
      const fileoff = seg64 ? Number(r.u64(o + 40)) : r.u32(o + 32);
      const filesize = seg64 ? Number(r.u64(o + 48)) : r.u32(o + 36);
      segments.push({ vaddr, offset: base + fileoff, size: filesize });
      const nsects = Math.min(r.u32(o + (seg64 ? 64 : 48)), MAX_TABLE);
      let s = o + (seg64 ? 72 : 56);
      for (let j = 0; j < nsects; j++) {
        const name = r.cstr(s, 16);
        const ssize = seg64 ? Number(r.u64(s + 40)) : r.u32(s + 36);
        const soff = r.u32(s + (seg64 ? 48 : 40));
        sections.push({ name, offset: base + soff, size: ssize });
        s += seg64 ? 80 : 68;
      }
    }
    o += size;
  }
  return { format: 'macho', littleEndian: le, ptrSize: is64 ? 8 : 4, segments, sections, base };
}

/** Parses the headers (throws RangeError on truncated/garbled ones). */
export function readExecutable(b: Buffer): Executable | undefined {
  const f = exeFormat(b);
  if (f === 'elf') return elf(b);
  if (f === 'pe') return pe(b);
  if (f === 'macho') return macho(b);
  return undefined;
}

/** File offset of virtual address `addr`, or undefined when no segment maps it. */
export function offsetOf(exe: Executable, addr: bigint, len: number): number | undefined {
  for (const s of exe.segments) {
    if (addr >= s.vaddr && addr + BigInt(len) <= s.vaddr + BigInt(s.size)) return s.offset + Number(addr - s.vaddr);
  }
  return undefined;
}

export function sectionData(b: Buffer, exe: Executable, name: string): Buffer | undefined {
  const s = exe.sections.find((x) => x.name === name);
  if (!s || s.offset < 0 || s.offset + s.size > b.length) return undefined;
  return b.subarray(s.offset, s.offset + s.size);
}

/**
 * A path+size worth buffering as a possible executable: binaries are big and have no extension
 * (or `.exe`), and never live under documentation/header trees.
 */
export function maybeExecutable(path: string, size: number, min: number, max: number): boolean {
  if (size < min || size > max) return false;
  if (/^\/(proc|sys|dev|usr\/share|usr\/include|var\/lib\/(dpkg|rpm|apk))\//.test(path)) return false;
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return true;
  const ext = base.slice(dot + 1).toLowerCase();
  return ext === 'exe' || ext === 'elf' || ext === 'macho' || ext === 'bin' || /^\d+$/.test(ext) && !base.includes('.so');
}
