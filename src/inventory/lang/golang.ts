// Go binaries: the buildinfo blob (`\xff Go buildinf:`) of ELF, PE and Mach-O executables gives
// the toolchain version and modinfo (main module, deps, `=>` replacements, build settings).
import type { CatalogContext, Cataloger, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { errorText, makePackage, perFile, warnFile } from './common.js';
import { type Executable, exeFormat, looksExecutable, maybeExecutable, offsetOf, readExecutable } from './exe.js';

const FOUND_BY = 'go-binary';
const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const MAX_STRING = 4 * 1024 * 1024;

export interface BuildInfo {
  goVersion: string;
  modinfo: string;
}

function readUvarint(b: Buffer, off: number): [number, number] | undefined {
  let x = 0;
  let shift = 0;
  for (let i = off; i < b.length && i < off + 10; i++) {
    const c = b[i]!;
    x += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) return [x, i + 1];
    shift += 7;
  }
  return undefined;
}

function readPtr(b: Buffer, off: number, size: 4 | 8, le: boolean): bigint | undefined {
  if (off < 0 || off + size > b.length) return undefined;
  if (size === 8) return le ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
  return BigInt(le ? b.readUInt32LE(off) : b.readUInt32BE(off));
}

/** Pre-1.18 layout: pointers to Go string headers {data, len} in the data segment. */
function readGoString(b: Buffer, exe: Executable, addr: bigint, ptr: 4 | 8, le: boolean): string | undefined {
  const hdr = offsetOf(exe, addr, ptr * 2);
  if (hdr === undefined) return undefined;
  const data = readPtr(b, hdr, ptr, le);
  const len = readPtr(b, hdr + ptr, ptr, le);
  if (data === undefined || len === undefined || len > BigInt(MAX_STRING)) return undefined;
  const off = offsetOf(exe, data, Number(len));
  return off === undefined ? undefined : b.toString('utf8', off, off + Number(len));
}

/** Strips the 16-byte sentinels the linker puts around modinfo. */
function trimModinfo(s: string): string {
  if (s.length >= 33 && s[s.length - 17] === '\n') return s.slice(16, -16);
  return s;
}

/** The buildinfo of a Go executable; undefined when the buffer is not one (or has none). */
export function readBuildInfo(b: Buffer): BuildInfo | undefined {
  let exe: Executable | undefined;
  for (let at = b.indexOf(MAGIC); at >= 0; at = b.indexOf(MAGIC, at + 1)) {
    if (at + 32 > b.length) break;
    const ptrSize = b[at + 14];
    const flags = b[at + 15]!;
    let version: string | undefined;
    let mod: string | undefined;
    if (flags & 2) {
      const v = readUvarint(b, at + 32);
      if (!v || v[0] > MAX_STRING || v[1] + v[0] > b.length) continue;
      version = b.toString('utf8', v[1], v[1] + v[0]);
      const m = readUvarint(b, v[1] + v[0]);
      if (!m || m[0] > MAX_STRING || m[1] + m[0] > b.length) continue;
      mod = b.toString('utf8', m[1], m[1] + m[0]);
    } else {
      if (ptrSize !== 4 && ptrSize !== 8) continue;
      exe ??= readExecutable(b);
      if (!exe) return undefined;
      const le = (flags & 1) === 0;
      const vAddr = readPtr(b, at + 16, ptrSize, le);
      const mAddr = readPtr(b, at + 16 + ptrSize, ptrSize, le);
      if (vAddr === undefined || mAddr === undefined) continue;
      version = readGoString(b, exe, vAddr, ptrSize, le);
      mod = readGoString(b, exe, mAddr, ptrSize, le);
    }
    if (version && /^(go|devel)/.test(version)) return { goVersion: version, modinfo: trimModinfo(mod ?? '') };
  }
  return undefined;
}

/** `go1.22.1` → `v1.22.1`, `go1.21` → `v1.21.0`, `go1.21rc2` → `v1.21.0-rc.2` (OSV Go's stdlib spelling, `v`-prefixed like modules). */
export function stdlibVersion(go: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?/.exec(go.trim());
  if (!m) return undefined;
  const pre = m[4] ? `-${m[4]}.${m[5]}` : '';
  return `v${m[1]}.${m[2]}.${m[3] ?? '0'}${pre}`;
}

interface Module {
  path: string;
  version: string;
}

/** The main module version a `-ldflags=-X main.version=v1.2.3` stamps in, when the module says (devel). */
function ldflagsVersion(settings: Map<string, string>): string | undefined {
  const ld = settings.get('-ldflags');
  if (!ld) return undefined;
  const m = /-X[= ]['"]?(?:main|[\w./-]+\/(?:version|cmd|main))\.(?:version|Version)=(v?\d+\.\d+\.\d+[\w.+-]*)/.exec(ld);
  if (!m) return undefined;
  return m[1]!.startsWith('v') ? m[1] : `v${m[1]}`;
}

export function goPackages(file: WalkedFile, info: BuildInfo): Package[] {
  let main: Module | undefined;
  const deps: Module[] = [];
  const settings = new Map<string, string>();
  let last: Module | undefined;
  for (const line of info.modinfo.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'mod':
        main = { path: f[1] ?? '', version: f[2] ?? '' };
        last = main;
        break;
      case 'dep':
        last = { path: f[1] ?? '', version: f[2] ?? '' };
        deps.push(last);
        break;
      case '=>':
        // A replacement by another module@version is what was compiled in; a local directory
        // replacement (no version) keeps the original requirement, the only version we know.
        if (last && f[1] && f[2] && f[2] !== '(devel)' && !/^[./]/.test(f[1])) {
          last.path = f[1];
          last.version = f[2];
        }
        break;
      case 'build': {
        const kv = f.slice(1).join('\t');
        const eq = kv.indexOf('=', 1);
        if (eq > 0) settings.set(kv.slice(0, eq), kv.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
        break;
      }
    }
  }
  const out: Package[] = [];
  const depPurls: string[] = [];
  // Go 1.18+ records the target in its build settings; older binaries get the image's platform.
  const goos = settings.get('GOOS') ?? '';
  const goarch = settings.get('GOARCH') ?? '';
  for (const d of deps) {
    if (!d.path) continue;
    const p = makePackage('golang', FOUND_BY, file, { name: d.path, version: d.version });
    out.push(p);
    depPurls.push(p.purl);
  }
  const std = stdlibVersion(info.goVersion);
  if (std) {
    const p = makePackage('golang', FOUND_BY, file, { name: 'stdlib', version: std });
    out.unshift(p);
    depPurls.push(p.purl);
  }
  if (main && main.path) {
    const version = main.version === '(devel)' ? (ldflagsVersion(settings) ?? '') : main.version;
    // Dependencies of the main module are the whole build list: modinfo does not state the graph.
    out.unshift(makePackage('golang', FOUND_BY, file, { name: main.path, version, dependsOn: depPurls }));
  }
  if (goos || goarch) for (const p of out) p.platform = { os: goos, arch: goarch };
  return out;
}

/** What distill() keeps of a binary: its buildinfo, or why its headers could not be read. */
type GoDistilled = { info: BuildInfo } | { error: string };

/** Reads the buildinfo of one binary; undefined: not a Go executable. */
function distillGo(data: Buffer): GoDistilled | undefined {
  if (!exeFormat(data)) return undefined;
  try {
    const info = readBuildInfo(data);
    return info ? { info } : undefined;
  } catch (e) {
    return { error: errorText(e) };
  }
}

export const goBinaryCataloger: Cataloger = {
  name: FOUND_BY,
  version: 2,
  kind: 'language',
  attribution: 'file',
  maxFileSize: 128 * 1024 * 1024,
  wants(path: string, size: number): boolean {
    return maybeExecutable(path, size, 512 * 1024, 128 * 1024 * 1024);
  },
  sniff: (_path: string, head: Buffer) => looksExecutable(head),
  // Only the buildinfo strings are kept (a few KiB), never the binary.
  distill(_path: string, data: Buffer): Buffer | null {
    const d = distillGo(data);
    return d ? Buffer.from(JSON.stringify(d), 'utf8') : null;
  },
  parse(files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
    return perFile(files, ctx, 'go.binary', (f) => {
      const d = f.distilled ? (JSON.parse(f.data.toString('utf8')) as GoDistilled) : distillGo(f.data);
      if (!d) return [];
      if ('error' in d) {
        warnFile(ctx, f, 'go.binary', `unreadable executable headers (${d.error})`);
        return [];
      }
      return goPackages(f, d.info);
    });
  },
};
