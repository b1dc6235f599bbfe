// The one-pass walker: every layer is read once, in order, into a LayerDelta, and the deltas are
// merged into the view of wanted files. Catalogers then read files from that view (view.ts).
// The one exception: a wanted name that a link leads to a file nobody asked for (link-targets.ts).
// Those files are read in a second pass over only the layers that may hold them.
import { createHash } from 'node:crypto';
import type { Layer } from '../model/image.js';
import type { LayerRef } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';
import type { LayerDelta } from './layer-delta.js';
import { alsoWantedAs, layerMayHold, LinkTargets, type LinkProbes, type Redirect } from './link-targets.js';
import { layerFileChunks } from '../image/layer-file.js';
import { LAYER_CONCURRENCY, layerRefOf, storeKey, verifyLayerBytes, type WalkProgress } from './layer-keys.js';
import { COLLECT_EVERY, collectYoung } from './dead-buffers.js';
import { areRegistryWanters } from './walk-job.js';
import { walkLayer, type AlsoWantedAs, type FileWanter } from './walk-layer.js';
import { WalkPool, type Reservation } from './walk-pool.js';
import { WantedFs } from './wanted-fs.js';

/** The layer a stored delta is about: its stored blob (digest) and its uncompressed content (diffId). */
export interface LayerKey {
  digest: string;
  diffId: string;
}

export type WanterVersions = readonly { name: string; version: number }[];

/**
 * Where already-computed layer deltas are kept between scans (src/cache: on disk, and shared on
 * Redis). A delta is a pure function of the layer's content and the wanters (name@version); the
 * key holds both the blob digest and the diff_id so that re-hashing the stored blob is enough to
 * trust a hit (see deltaFor). Failures to read or write it never fail a scan.
 */
export interface LayerDeltaStore {
  /** Called once before the walk with every layer: a shared backend fetches them in one round trip. */
  prefetch?(layers: readonly LayerKey[], wanters: WanterVersions): Promise<void>;
  get(layer: LayerKey, wanters: WanterVersions): Promise<LayerDelta | undefined>;
  put(layer: LayerKey, wanters: WanterVersions, delta: LayerDelta): Promise<void>;
  /** Called once after a walk that ended without error: a shared backend writes in one round trip. */
  flush?(): Promise<void>;
}

export interface WalkOptions {
  /** Reuse deltas of layers seen before (keyed by diff_id and wanter versions). */
  store?: LayerDeltaStore;
  /** Called after each layer is merged, with the view as it stands after that layer. */
  onLayer?(fs: WantedFs, layer: LayerRef): void;
  /**
   * Called before the view is built again from the first layer (after a second pass read link
   * targets): forget what onLayer was told.
   */
  onRestart?(): void;
  onProgress?(p: WalkProgress): void;
  /** Link probe answers known before the walk (LinkProbes: from a memo made by this code). */
  linkProbes?: LinkProbes;
  /**
   * The states after the first `resumeAt` layers were looked at by a parent image's walk (same
   * layers, same code) that found no link to follow: they are merged without onLayer or link
   * probing. A second pass (a link found later) rebuilds every state as usual.
   */
  resumeAt?: number;
  /**
   * Walk file-backed layers in a worker thread (walk-pool.ts). Default: uncompressed blobs, when the
   * wanters are the registry's own and the image is big enough for a thread to pay
   * (THREADS_MIN_BESIDE_LARGEST); PORTCULLIS_WALK_THREADS `0` never, `1` whenever there are two
   * layers (a gzip layer is inflated in zlib's pool already: threads measured slower there,
   * bench/big-images.ts). false: every layer on this thread; true: every file-backed layer in one
   * of two threads whenever the wanters allow (tests).
   */
  threads?: boolean;
}

/**
 * Bytes this thread reads of a local blob between two turns of its event loop (layerFileChunks'
 * reads are synchronous): a walker thread waiting for its next layer, the deltas to merge and the
 * cache's round trips wait at most this long. Files shape, docker-archive, built CLI (6 interleaved
 * rounds, quiet): wall 1.66 s with reads through the thread pool, 1.60 s so (CPU 2.71 / 2.67 s).
 */
const MAIN_THREAD_TURN_EVERY = 8 * 1024 * 1024;

/**
 * Reads one layer into its delta (opens, walks, always closes the stream): in a thread of `pool`
 * when the layer's bytes are a file it can open, else here.
 */
export async function deltaOfLayer(layer: Layer, wanters: readonly FileWanter[], also?: AlsoWantedAs, pool?: WalkPool, redirects?: Redirect[], reservation?: Reservation): Promise<LayerDelta> {
  const label = `layer ${layer.index} (${layer.digest})`;
  let source;
  try {
    source = await layer.fileSource?.();
  } finally {
    // Given back before walk() (synchronously: the thread it held is the free one there), or
    // unused (the lookup failed, the layer is not one a thread reads).
    reservation?.release();
  }
  if (pool && source && (pool.all || !source.compressed)) {
    const delta = await pool.walk(source, label, wanters, redirects);
    if (delta) {
      pool.walked.add(layer.index);
      return delta;
    }
  }
  // Pulled, not streamed, where the source allows (walkLayer copies what it keeps): a layer rebuilt
  // from tar-split into one reused buffer (chunks()), or a local blob pulled through one read
  // buffer, zlib's dead output collected as it goes (see layerFileChunks). A zstd blob, or a layer
  // that is no file here, goes through open()'s stream.
  const chunks = (await layer.chunks?.()) ?? (source ? await layerFileChunks(source, { every: COLLECT_EVERY, inflated: collectYoung }, MAIN_THREAD_TURN_EVERY) : undefined);
  if (chunks) return walkLayer(chunks, wanters, label, also);
  const stream = await layer.open();
  try {
    return await walkLayer(stream, wanters, label, also);
  } finally {
    stream.destroy();
  }
}

/** A second pass: extra names files are wanted under, and their part of the cache key. */
interface SecondPass {
  also: AlsoWantedAs;
  /** What `also` was made of (a walker thread makes its own from them). */
  redirects: Redirect[];
  key: string;
}

/** The redirects decide what the second pass captures: they are part of its key. */
const secondPassKey = (wanters: readonly FileWanter[], pass: SecondPass): { name: string; version: number }[] => [
  ...storeKey(wanters),
  { name: `links-${pass.key}`, version: 1 },
];

/** The delta of a layer: from the store when it has it (bytes still verified), else walked (and then stored). */
async function deltaFor(layer: Layer, wanters: readonly FileWanter[], store: LayerDeltaStore | undefined, pass?: SecondPass, pool?: WalkPool): Promise<LayerDelta> {
  // Held now, as the layer is picked (inOrder calls this synchronously, largest first).
  const reservation = pool?.reserve();
  if (!store) return deltaOfLayer(layer, wanters, pass?.also, pool, pass?.redirects, reservation);
  const key = pass ? secondPassKey(wanters, pass) : storeKey(wanters);
  const hit = await store.get(layer, key).catch(() => undefined);
  if (hit) {
    reservation?.release();
    await verifyLayerBytes(layer);
    return hit;
  }
  // deltaOfLayer resolves only after the whole stream was read and verified: only then is it stored.
  const delta = await deltaOfLayer(layer, wanters, pass?.also, pool, pass?.redirects, reservation);
  await store.put(layer, key, delta).catch(() => undefined);
  return delta;
}


export interface WalkResult {
  fs: WantedFs;
  warnings: ScanWarning[];
  /** Link targets read in the second pass (empty: the image needed none). */
  redirects: Redirect[];
  /** Indexes of the layers read a second time for them. */
  reread: number[];
  /** Indexes of the layers a walker thread read (first or second pass); the rest were read here or cached. */
  threaded: number[];
  /** Every link probe answer the walk knew or found (for the memo: another image's walk may use them). */
  linkProbes: LinkProbes;
}

/**
 * How far past the next layer to merge a layer may be started: finished deltas wait to be merged in
 * order, so this bounds how many are held at once (LOOKAHEAD - LAYER_CONCURRENCY beyond the walks).
 */
export const LOOKAHEAD = 4;

/**
 * Runs `compute(i)` for the indexes, LAYER_CONCURRENCY at a time, handing each result to `use` in
 * index order. Of the layers within LOOKAHEAD of the next one to use, the largest by `weight`
 * starts first: a big layer started early runs beside the small ones instead of after them (a
 * walker thread on the big one while this thread walks the rest).
 */
export async function inOrder<T>(indexes: readonly number[], compute: (i: number) => Promise<T>, use: (i: number, v: T) => void, weight: (i: number) => number = () => 0): Promise<void> {
  const started: (Promise<T> | undefined)[] = [];
  let running = 0;
  let next = 0; // position in `indexes` of the next layer to use
  let freed: (() => void) | undefined;
  const startMore = (): void => {
    while (running < LAYER_CONCURRENCY) {
      let pick = -1;
      for (let k = next; k < Math.min(indexes.length, next + LOOKAHEAD); k++) {
        if (started[k] === undefined && (pick < 0 || weight(indexes[k]!) > weight(indexes[pick]!))) pick = k;
      }
      if (pick < 0) return;
      running++;
      const p = compute(indexes[pick]!);
      started[pick] = p;
      // A walk that ends frees its slot. When it is the layer being waited on, the loop below merges
      // it first and then starts the next (the merge brings one more layer within reach); another
      // layer's slot is given at once. Its result is awaited in order below; until then a failure
      // must not count as unhandled.
      const k = pick;
      const done = (): void => {
        running--;
        if (k !== next) startMore();
        freed?.();
      };
      p.then(done, done);
    }
  };
  for (; next < indexes.length; next++) {
    startMore();
    // The next layer may wait for a slot while bigger ones ahead of it run.
    while (started[next] === undefined) await new Promise<void>((r) => (freed = r));
    use(indexes[next]!, await started[next]!);
  }
}

/**
 * Bytes of thread-eligible layers (not declared gzip/zstd) beside the largest of them, from which a
 * walker thread pays. A thread costs ~0.1-0.15 s CPU to start and a walk on the main thread is as
 * cheap a byte since it reads through one reused buffer (layer-file.ts); the thread buys wall time
 * only by walking one big layer beside others (the largest starts first, inOrder). Measured
 * (docker-archive, built CLI, interleaved, load ~3-4; main thread only / one thread): language image
 * (4 small layers) CPU 0.47 / 0.61 s; Debian image (172 MB + 2 MB) 0.82 / 0.93 s; plus a 37 MB layer
 * 0.99 / 1.20 s, a 122 MB one 1.16 / 1.55 s, wall no better; jars shape (161 MB beside a 172 MB
 * layer; 7 Dec, `nice -n -15`, 5 rounds, largest first) wall 0.89 / 0.91 s, CPU 1.23 / 1.50 s; both
 * shape (333 MB beside its 577 MB layer) wall 1.87 / 1.72 s, CPU 2.28 / 2.46 s; files shape (751 MB
 * beside) wall 2.51 / 2.16 s, CPU 3.21 / 3.48 s.
 */
export const THREADS_MIN_BESIDE_LARGEST = 256 * 1024 * 1024;

/** Whether this walk uses walker threads (see WalkOptions.threads). */
function wantsThreads(layers: readonly Layer[], wanters: readonly FileWanter[], opts: WalkOptions): boolean {
  if (opts.threads === false || !areRegistryWanters(wanters)) return false;
  if (opts.threads === true) return true;
  const env = process.env.PORTCULLIS_WALK_THREADS;
  if (env === '0') return false;
  if (layers.length < 2) return false;
  if (env === '1') return true;
  const sizes = layers.filter((l) => !/[+.](gzip|zstd)$/.test(l.mediaType)).map((l) => l.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  return total - Math.max(0, ...sizes) >= THREADS_MIN_BESIDE_LARGEST;
}

/**
 * Walker threads started: one by default, beside the main thread, which walks the other of the two
 * layers read at once (bench/big-images.ts, docker-archive: peak RSS files 145-147 -> 122-123 MB,
 * both 161-164 -> 141-142, jars 142-143 -> 118-125 against two threads, CPU 0.92-0.95x, wall no
 * worse); `threads: true` (tests) sends every layer to a thread.
 */
const poolSize = (opts: WalkOptions): number => (opts.threads === true ? LAYER_CONCURRENCY : 1);

export async function walkLayers(layers: readonly Layer[], wanters: readonly FileWanter[], opts: WalkOptions = {}): Promise<WalkResult> {
  // Started lazily (its threads on the first file-backed layer), ended whatever the walk's outcome.
  const pool = wantsThreads(layers, wanters, opts) ? new WalkPool(poolSize(opts), opts.threads === true) : undefined;
  try {
    const result = await walkAll(layers, wanters, opts, pool);
    result.threaded = pool ? [...pool.walked].sort((a, b) => a - b) : [];
    return result;
  } finally {
    // Not awaited: a thread's teardown (30-60 ms, its heap freed) runs beside what follows the walk
    // instead of before it. close() takes the threads out of the pool at once, rejects what is still
    // queued, and an idle thread never holds the process open.
    void pool?.close().catch(() => undefined);
  }
}

async function walkAll(layers: readonly Layer[], wanters: readonly FileWanter[], opts: WalkOptions, pool: WalkPool | undefined): Promise<WalkResult> {
  const deltas: LayerDelta[] = [];
  const targets = new LinkTargets(wanters, opts.linkProbes);
  let fs = new WantedFs();
  const all = layers.map((_, i) => i);
  // One batched lookup for the first pass (a second pass has its own, below).
  await opts.store?.prefetch?.(layers, storeKey(wanters)).catch(() => undefined);
  await inOrder(
    all,
    (i) => {
      const layer = layers[i]!;
      opts.onProgress?.({ layerIndex: layer.index, layerCount: layers.length, digest: layer.digest });
      return deltaFor(layer, wanters, opts.store, undefined, pool);
    },
    (i, delta) => {
      deltas[i] = delta;
      const ref = layerRefOf(layers[i]!);
      fs.apply(delta, ref);
      if (i < (opts.resumeAt ?? 0)) return;
      opts.onLayer?.(fs, ref);
      targets.observe(fs);
    },
    (i) => layers[i]!.size,
  );
  const redirects = targets.list();
  const reread: number[] = [];
  if (redirects.length > 0) {
    // Second pass: only layers that hold a file where a redirect points are read again, with the
    // link names as extra names; their new deltas replace the first ones and the view is rebuilt.
    for (let i = 0; i < layers.length; i++) if (layerMayHold(deltas[i]!.dirs, redirects)) reread.push(i);
    if (reread.length > 0) {
      const key = createHash('sha256').update(JSON.stringify(redirects)).digest('hex').slice(0, 32);
      const pass: SecondPass = { also: alsoWantedAs(redirects), redirects, key };
      // Its keys in one batched lookup too: a fresh runner finds the second-pass deltas another
      // runner stored (without it they were looked up in the local directory only, and re-read).
      await opts.store?.prefetch?.(reread.map((i) => layers[i]!), secondPassKey(wanters, pass)).catch(() => undefined);
      await inOrder(
        reread,
        (i) => deltaFor(layers[i]!, wanters, opts.store, pass, pool),
        (i, delta) => {
          deltas[i] = delta;
        },
        (i) => layers[i]!.size,
      );
      opts.onRestart?.();
      fs = new WantedFs();
      for (let i = 0; i < layers.length; i++) {
        const ref = layerRefOf(layers[i]!);
        fs.apply(deltas[i]!, ref);
        opts.onLayer?.(fs, ref);
      }
    }
  }
  await opts.store?.flush?.().catch(() => undefined);
  const warnings: ScanWarning[] = [];
  for (let i = 0; i < layers.length; i++) for (const w of deltas[i]!.warnings) warnings.push({ ...w, layer: layers[i]!.index });
  return { fs, warnings, redirects, reread, threaded: [], linkProbes: targets.probes() };
}
