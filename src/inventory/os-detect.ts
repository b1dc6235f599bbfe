// Detects the OS from the final filesystem. OS detection is not a cataloger, but it rides the same
// walk as one more FileWanter.
import { osIdForReleaseName, osReleaseFiles } from '../ecosystems/index.js';
import type { OsInfo } from '../model/os.js';
import type { WalkedFile } from './cataloger.js';
import { parseOsRelease } from './os-release.js';
import type { FileWanter } from './walk-layer.js';

const OS_RELEASE = ['/etc/os-release', '/usr/lib/os-release'];
/**
 * Red Hat family release files: each OS's own (from the ecosystem registry) first, then the
 * generic ones, which exist on all of them.
 */
const RELEASE_FILES = [...osReleaseFiles(), '/etc/redhat-release', '/etc/system-release'];
const STATUS_D = '/var/lib/dpkg/status.d/';
const OTHER = ['/etc/alpine-release', '/etc/debian_version'];
const WANTED = new Set([...OS_RELEASE, ...RELEASE_FILES, ...OTHER]);
const MAX_SIZE = 64 * 1024;

export const osDetector: FileWanter = {
  name: 'os-detect',
  version: 1,
  maxFileSize: MAX_SIZE,
  sizeBlind: true,
  wants: (path) => WANTED.has(path) || (path.startsWith(STATUS_D) && !path.endsWith('.md5sums')),
  anchors: [...WANTED, STATUS_D],
};

function text(f: WalkedFile): string {
  return f.data.toString('utf8');
}

function fromOsRelease(f: WalkedFile): OsInfo | undefined {
  const kv = parseOsRelease(text(f));
  if (!kv.ID) return undefined;
  const info: OsInfo = { id: kv.ID.toLowerCase(), detectedFrom: f.path };
  if (kv.VERSION_ID) info.versionId = kv.VERSION_ID;
  if (kv.VERSION_CODENAME) info.versionCodename = kv.VERSION_CODENAME;
  if (kv.PRETTY_NAME) info.prettyName = kv.PRETTY_NAME;
  if (kv.ID_LIKE) info.idLike = kv.ID_LIKE.split(/\s+/).filter(Boolean);
  if (/distroless/i.test(kv.PRETTY_NAME ?? '')) info.distroless = true;
  return info;
}

/** `Rocky Linux release 9.3 (Blue Onyx)` → rocky / 9.3. */
export function parseRedhatRelease(line: string, path: string): OsInfo | undefined {
  const m = /^(.*?)\s+release\s+([0-9][0-9.]*)/i.exec(line.trim());
  if (!m) return undefined;
  const id = osIdForReleaseName(m[1]);
  if (!id) return undefined;
  return { id, versionId: m[2], prettyName: line.trim(), detectedFrom: path };
}

/** Debian major from `/etc/debian_version` (`12.5` → 12; `trixie/sid` → codename only). */
function debianFromVersionFile(f: WalkedFile): OsInfo {
  const v = text(f).trim();
  const m = /^(\d+)/.exec(v);
  const info: OsInfo = { id: 'debian', detectedFrom: f.path };
  if (m) info.versionId = m[1];
  else if (/^[a-z]+\/sid$/.test(v)) info.versionCodename = v.split('/')[0];
  return info;
}

/** Debian major from the base-files stanza of a distroless status.d (`Version: 12.4+deb12u5`). */
function debianFromBaseFiles(files: WalkedFile[]): { version?: string; path?: string } {
  for (const f of files) {
    const t = text(f);
    if (!/^Package:\s*base-files\s*$/m.test(t)) continue;
    const m = /^Version:\s*(\d+)/m.exec(t);
    if (m) return { version: m[1], path: f.path };
  }
  return {};
}

export function detectOs(files: WalkedFile[]): OsInfo | undefined {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const statusD = files.filter((f) => f.path.startsWith(STATUS_D));
  for (const p of OS_RELEASE) {
    const f = byPath.get(p);
    const info = f && fromOsRelease(f);
    if (info) {
      if (statusD.length > 0 && !byPath.has('/var/lib/dpkg/status')) info.distroless = true;
      return info;
    }
  }
  // No os-release: a dpkg status.d tree is the distroless layout.
  if (statusD.length > 0) {
    const dv = byPath.get('/etc/debian_version');
    const info: OsInfo = dv ? debianFromVersionFile(dv) : { id: 'debian', detectedFrom: STATUS_D };
    if (!info.versionId) {
      const bf = debianFromBaseFiles(statusD);
      if (bf.version) {
        info.versionId = bf.version;
        info.detectedFrom = bf.path as string;
      }
    }
    info.distroless = true;
    return info;
  }
  const alpine = byPath.get('/etc/alpine-release');
  if (alpine) {
    const v = text(alpine).trim().split('\n')[0];
    return { id: 'alpine', ...(v ? { versionId: v } : {}), detectedFrom: alpine.path };
  }
  for (const p of RELEASE_FILES) {
    const f = byPath.get(p);
    const info = f && parseRedhatRelease(text(f).split('\n')[0], p);
    if (info) return info;
  }
  const dv = byPath.get('/etc/debian_version');
  if (dv) return debianFromVersionFile(dv);
  return undefined;
}
