// Reading an image's inventory: walk every layer once, detect the OS on the final view, run each
// cataloger on its files, and attribute packages to layers. Loaded by inventory.ts only when an
// image is read (not answered whole from the memo).
import { errorMessage } from '../errors.js';
import type { UnreadFile } from '../model/coverage.js';
import type { Image } from '../model/image.js';
import type { OsInfo } from '../model/os.js';
import type { LayerRef, Package } from '../model/package.js';
import { comparePackages } from '../model/package-order.js';
import type { ScanWarning } from '../model/warning.js';
import type { CatalogContext, Cataloger, WalkedFile } from './cataloger.js';
import { detectOs, osDetector } from './os-detect.js';
import { osvEcosystemFor } from './os-ecosystem.js';
import { osPackageDb } from '../ecosystems/index.js';
import { CATALOGERS } from './registry.js';
import { redirectConcerns, type LinkProbes } from './link-targets.js';
import { parentOf } from './paths.js';
import { filesFor, unreadFor } from './view.js';
import { walkStreamedLayers } from './walk-streamed.js';
import type { WalkResume } from './memo.js';
import { layerRefOf } from './layer-keys.js';
import { walkLayers } from './walker.js';
import type { Inventory, InventoryOptions } from './inventory.js';
import type { WantedFs } from './wanted-fs.js';

interface Snapshot {
  layer: LayerRef;
  files: WalkedFile[];
}

function signature(files: WalkedFile[]): string {
  return files.map((f) => `${f.path}@${f.layer.index}`).join('\n');
}

const packageKey = (p: Package) => `${p.name}\u0000${p.version}\u0000${p.arch ?? ''}`;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A Go binary whose build info names no GOOS/GOARCH (before Go 1.18) runs on the image's platform;
 * the matcher uses it to drop advisories about code that exists only on other platforms.
 */
function defaultPlatform(packages: Package[], config: { os?: string; architecture?: string }): void {
  const os = config.os ?? '';
  const arch = config.architecture ?? '';
  if (!os && !arch) return;
  for (const p of packages) {
    if (p.type !== 'golang') continue;
    if (!p.platform) p.platform = { os, arch };
    else p.platform = { os: p.platform.os || os, arch: p.platform.arch || arch };
  }
}

/** Runs a cataloger so that nothing it throws can stop the scan: its files are then unread. */
async function safeParse(c: Cataloger, files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
  try {
    return await c.parse(files, ctx);
  } catch (err) {
    ctx.warn({
      code: 'cataloger.error',
      message: `cataloger ${c.name} failed on ${files.map((f) => f.path).join(', ')}: ${errorMessage(err)}`,
      ...(files[0] ? { path: files[0].path, layer: files[0].layer.index } : {}),
    });
    // The error's message may quote the file; its class name cannot.
    const what = err instanceof Error ? err.name : 'a non-Error value';
    for (const f of files) ctx.unreadable?.(f, 'error', `cataloger ${c.name} failed (${what}); see warnings`);
    return [];
  }
}

/**
 * An image that says which OS it is but holds none of that OS's package database (`rm -rf
 * /var/lib/dpkg`, a chiselled image without a manifest): its OS packages are on disk but unknown.
 * Listed as an unread OS db (`missing`), so the scan is incomplete unless a policy accepts it —
 * never a PASS that checked nothing. Not when the catalogers were left out (`--pkg-types`).
 */
function missingOsDb(os: OsInfo, fs: WantedFs, catalogers: readonly Cataloger[], withFiles: ReadonlySet<string>, unread: ReadonlyMap<string, UnreadFile>, add: (u: UnreadFile) => boolean): void {
  const db = osPackageDb(os);
  const own = catalogers.filter((c) => db?.catalogers.includes(c.name));
  if (!db || own.length === 0) return;
  if (own.some((c) => withFiles.has(c.name) || [...unread.values()].some((u) => u.cataloger === c.name))) return;
  const c = own[0]!;
  const layer = fs.files.get(os.detectedFrom)?.layer.index;
  add({
    path: c.anchors?.[0] ?? os.detectedFrom,
    cataloger: c.name,
    kind: 'os-pkgdb',
    code: 'missing',
    reason: `${os.detectedFrom} says ${db.label}, but the image holds no ${c.name} package database; its OS packages are unknown`,
    ...(layer !== undefined ? { layer } : {}),
  });
}

/** The layer of the symlink that is `path` or one of its directories (the one that moved it). */
function linkLayerOn(fs: WantedFs, path: string): number {
  for (let p = path; p !== '/'; p = parentOf(p)) {
    const l = fs.links.get(p);
    if (l) return l.layer.index;
  }
  return 0;
}

/** What a parent image's memo lends a walk (memo.ts): link probe answers, and where to take over. */
export interface ParentStart {
  linkProbes?: LinkProbes;
  resume?: { at: number; from: WalkResume };
}

/** The inventory, and what its walk leaves for a child image's (none for a read-once stream). */
export async function readInventory(image: Image, opts: InventoryOptions, parent: ParentStart = {}): Promise<{ inventory: Inventory; linkProbes?: LinkProbes; resume?: WalkResume }> {
  const catalogers = opts.catalogers ?? CATALOGERS;
  const historyOnes = catalogers.filter((c) => c.attribution === 'history');
  const snapshots = new Map<Cataloger, Snapshot[]>(historyOnes.map((c) => [c, []]));
  const lastSig = new Map<Cataloger, string>();
  /** Per history cataloger: the layer index each package key was first seen in (a parent's, then these states'). */
  const firstSeen = new Map<Cataloger, Map<string, number>>(historyOnes.map((c) => [c, new Map()]));
  // Taken over only with every history cataloger's state (the same code wrote it).
  const resume = parent.resume && historyOnes.every((c) => parent.resume!.from.history[c.name]) ? parent.resume : undefined;
  for (const c of resume ? historyOnes : []) {
    const h = resume!.from.history[c.name]!;
    lastSig.set(c, h.sig);
    firstSeen.set(c, new Map(h.firstSeen));
  }
  const unread = new Map<string, UnreadFile>();
  /** False when the file was listed already (by an earlier, more precise reason). */
  const addUnread = (u: UnreadFile): boolean => {
    const k = `${u.cataloger}\u0000${u.path}`;
    if (unread.has(k)) return false;
    unread.set(k, u);
    return true;
  };

  const walkOptions = {
    onProgress: opts.onProgress,
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.walkThreads !== undefined ? { threads: opts.walkThreads } : {}),
    // A history cataloger's db is re-parsed (later) as it stood after each layer that changed it.
    onLayer(view: WantedFs, layer: LayerRef) {
      for (const c of historyOnes) {
        const files = filesFor(view, c);
        const sig = signature(files);
        if (sig === (lastSig.get(c) ?? '')) continue;
        lastSig.set(c, sig);
        snapshots.get(c)?.push({ layer, files });
      }
    },
    // The view is rebuilt after link targets were read: the states are told again (all of them:
    // a parent's are forgotten too).
    onRestart() {
      for (const c of historyOnes) {
        snapshots.set(c, []);
        firstSeen.set(c, new Map());
      }
      lastSig.clear();
    },
  };
  const wanters = [osDetector, ...catalogers];
  // A daemon's export stream is read once, layers in stream order (src/image/stores). It cannot be
  // read again for link targets: a wanted link whose target was not captured is listed as unread.
  const walked = image.streamed
    ? { ...(await walkStreamedLayers(image, image.streamed, wanters, walkOptions)), probes: undefined }
    : await walkLayers(image.layers, wanters, {
        ...walkOptions,
        ...(parent.linkProbes ? { linkProbes: parent.linkProbes } : {}),
        ...(resume ? { resumeAt: resume.at } : {}),
      }).then((r) => ({ ...r, missed: [], probes: r.linkProbes }));
  const { fs, warnings, missed, probes } = walked;
  // A child's walk can take over from this one's states only when none was rebuilt: a walk that
  // followed links read some layers twice, under names a child's first pass lacks.
  const leavesResume = probes !== undefined && 'redirects' in walked && walked.redirects.length === 0;

  const warn = (w: ScanWarning) => warnings.push(w);
  const os = detectOs(filesFor(fs, osDetector));
  const osEcosystem = osvEcosystemFor(os);
  const ctx: CatalogContext = { osEcosystem, warn, ...(os ? { os } : {}) };
  const quiet: CatalogContext = { ...ctx, warn: () => undefined };

  const refOf = new Map(image.layers.map((l) => [l.index, layerRefOf(l)]));
  /** The first-seen layers of `c`'s package keys over every state (the final one parsed already: `found`). */
  const seenInStates = async (c: Cataloger, found: Package[], finalSig: string): Promise<Map<string, number>> => {
    const seen = firstSeen.get(c)!;
    for (const snap of snapshots.get(c) ?? []) {
      // The last snapshot usually is the final state, already parsed above.
      const listed = signature(snap.files) === finalSig ? found : await safeParse(c, snap.files, quiet);
      for (const p of listed) {
        const k = packageKey(p);
        if (!seen.has(k)) seen.set(k, snap.layer.index);
      }
    }
    return seen;
  };

  const packages: Package[] = [];
  const withFiles = new Set<string>();
  for (const c of catalogers) {
    const kind = c.kind === 'os' ? 'os-pkgdb' : 'manifest';
    for (const r of missed) {
      if (!redirectConcerns(c, r)) continue;
      const layer = linkLayerOn(fs, r.name);
      const reason = `symbolic link to ${r.dir ? 'the directory ' : ''}${r.real}, which a read-once image stream cannot read again; scan the image from an archive or a registry to read it`;
      if (addUnread({ path: r.name, cataloger: c.name, kind, code: 'link', reason, layer })) warn({ code: 'walker.link-unresolved', message: `${r.name}: ${reason}; not read`, path: r.name, layer });
    }
    for (const u of unreadFor(fs, c, probes)) {
      if (addUnread({ path: u.path, cataloger: c.name, kind, code: u.code, reason: u.reason, layer: u.layer }) && u.code === 'link') warn({ code: 'walker.link-unresolved', message: `${u.path}: ${u.reason}; not read`, path: u.path, layer: u.layer });
    }
    const files = filesFor(fs, c, warn);
    if (files.length === 0) {
      // Its db may have existed in an earlier state: what a child's walk would take over.
      if (c.attribution === 'history' && leavesResume) await seenInStates(c, [], '');
      continue;
    }
    withFiles.add(c.name);
    const own: CatalogContext = {
      ...ctx,
      unreadable: (file, code, reason) =>
        addUnread({ path: file.path, cataloger: c.name, kind, code, reason, layer: file.layer.index }),
    };
    const found = await safeParse(c, files, own);
    if (c.attribution === 'history') {
      const seen = await seenInStates(c, found, signature(files));
      for (const p of found) {
        const i = seen.get(packageKey(p));
        if (i !== undefined) p.layer = refOf.get(i) ?? p.layer;
      }
    }
    for (const p of found) packages.push(p);
  }
  if (os) missingOsDb(os, fs, catalogers, withFiles, unread, addUnread);
  defaultPlatform(packages, image.metadata.config);
  packages.sort(comparePackages);
  warnings.sort((a, b) => (a.layer ?? -1) - (b.layer ?? -1) || compare(a.path ?? '', b.path ?? '') || compare(a.code, b.code) || compare(a.message, b.message));
  const unreadList = [...unread.values()].sort((a, b) => compare(a.path, b.path) || compare(a.cataloger, b.cataloger));
  const inventory: Inventory = { ...(os ? { os } : {}), osEcosystem, packages, warnings, unread: unreadList };
  if (!probes) return { inventory };
  if (!leavesResume) return { inventory, linkProbes: probes };
  const history: WalkResume['history'] = {};
  for (const c of historyOnes) history[c.name] = { sig: lastSig.get(c) ?? '', firstSeen: [...firstSeen.get(c)!] };
  return { inventory, linkProbes: probes, resume: { history } };
}
