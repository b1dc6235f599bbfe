// A small pool of walker threads (walk-worker.ts), started on the first job and ended by close():
// each walks one file-backed layer at a time and hands back its delta. A thread that fails or dies
// fails its layer's walk with an ImageError (the scan ends with exit 2): a layer is never lost.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ImageError } from '../errors.js';
import type { LayerFileSource } from '../model/image.js';
import type { LayerDelta } from './layer-delta.js';
import type { Redirect } from './link-targets.js';
import { revivedDelta, wanterSignature, type WalkJob, type WalkReply } from './walk-job.js';
import type { FileWanter } from './walk-layer.js';

/**
 * Heap bounds of one walker thread. What it captures lives in Buffers outside this heap (bounded by
 * the wanters' maxFileSize, as on the main thread); the heap holds one layer's paths and entries.
 * The old-generation bound stops a runaway thread (its layer then fails as a scan error) well before
 * the process would. A 16 MB young generation: 1-8 MB measured no lower peak RSS.
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 16 };

/**
 * The worker's code: beside this module (dist/ per file, and the CLI bundle's directory). Run from
 * TypeScript sources (tests, tsx), the thread registers tsx's loader before importing it.
 */
function workerScript(): { script: URL | string; eval: boolean } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) {
    // The CLI bundle (scripts/bundle-cli.mjs): the thread loads its chunks through their code caches too.
    const loader = new URL('./code-cache.cjs', self);
    if (existsSync(loader)) {
      const load = `require(${JSON.stringify(fileURLToPath(loader))}).loadCommonJsDir(${JSON.stringify(fileURLToPath(new URL('.', self)))}, 'walk-worker.js');`;
      return { script: load, eval: true };
    }
    return { script: new URL('./walk-worker.js', self), eval: false };
  }
  // tsx's ESM API by path (an eval'd thread resolves from nowhere): it imports the .ts module.
  const tsx = pathToFileURL(join(dirname(createRequire(self).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const worker = new URL('./walk-worker.ts', self).href;
  return { script: `import(${JSON.stringify(tsx)}).then((m) => m.tsImport(${JSON.stringify(worker)}, ${JSON.stringify(self)}));`, eval: true };
}

interface Pending {
  job: WalkJob;
  resolve(delta: LayerDelta | undefined): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  current?: Pending;
}

/** A thread held for a walk about to be asked for (WalkPool.reserve). */
export interface Reservation {
  /** Gives the thread back unused (the layer was cached, or is not one a thread reads). */
  release(): void;
}

export class WalkPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private reserved = 0;
  /** Indexes of the layers whose delta a thread gave (the walker notes them: WalkResult.threaded). */
  readonly walked = new Set<number>();

  /** `all`: compressed blobs too (else the walker keeps those on its own thread). */
  constructor(readonly size: number = 2, readonly all = false) {}

  /** Threads neither walking, nor queued for, nor held for a walk. */
  private get free(): number {
    return this.size - this.threads.filter((t) => t.current).length - this.queue.length - this.reserved;
  }

  /**
   * Holds a thread, when one is free, for a walk the caller asks for after an await (the layer's
   * source is looked up first). The walker reserves as it picks layers, largest first: the thread
   * goes to the layer picked first, not to whichever layer's lookup happens to finish first (a
   * 172 MB layer took the thread from a 572 MB one that way, and the main thread then idled).
   */
  reserve(): Reservation | undefined {
    if (this.closed || this.free <= 0) return undefined;
    this.reserved++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.reserved--;
      },
    };
  }

  /**
   * Walks the layer at `source` in a thread. Resolves undefined when every thread is busy or the
   * thread's wanters are not `wanters` (the caller walks it itself); rejects with the walk's
   * ImageError. A caller holding a reservation releases it just before this call (no await between:
   * the thread it held is the free one here).
   */
  walk(source: LayerFileSource, walkLabel: string, wanters: readonly FileWanter[], redirects?: Redirect[]): Promise<LayerDelta | undefined> {
    if (this.closed) return Promise.reject(new Error('walk pool used after close'));
    // Every thread busy: the caller's own thread is the free one (it would only wait otherwise).
    if (this.free <= 0) return Promise.resolve(undefined);
    const job: WalkJob = { id: this.nextId++, source, walkLabel, wanters: wanterSignature(wanters), ...(redirects ? { redirects } : {}) };
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  /** Threads started so far and alive (tests: none after close()). */
  get running(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    for (const p of this.queue.splice(0)) p.reject(new Error('walk pool closed'));
    await Promise.all(
      threads.map((t) => {
        t.current?.reject(new Error('walk pool closed'));
        t.current = undefined;
        return t.worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let t = this.threads.find((x) => !x.current);
      if (!t && this.threads.length < this.size) t = this.start();
      if (!t) return;
      const p = this.queue.shift()!;
      t.current = p;
      // Held alive only while it has work: an idle thread never keeps the process from exiting.
      t.worker.ref();
      t.worker.postMessage(p.job);
    }
  }

  private start(): Thread {
    const { script, eval: isEval } = workerScript();
    const worker = new Worker(script, { eval: isEval, resourceLimits: RESOURCE_LIMITS, stdout: false, stderr: false });
    const t: Thread = { worker };
    this.threads.push(t);
    worker.on('message', (reply: WalkReply) => {
      const p = t.current;
      if (!p || p.job.id !== reply.id) return;
      t.current = undefined;
      worker.unref();
      if ('delta' in reply) p.resolve(revivedDelta(reply.delta));
      else if ('mismatch' in reply) p.resolve(undefined);
      else p.reject(errorFrom(reply.error));
      this.dispatch();
    });
    const died = (why: string): void => {
      const i = this.threads.indexOf(t);
      if (i >= 0) this.threads.splice(i, 1);
      const p = t.current;
      t.current = undefined;
      if (p) {
        const { label, subject } = p.job.source;
        p.reject(new ImageError(`${label}: the thread walking it failed (${why})`, { subject }));
      }
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    return t;
  }
}

/** The worker's error as the main thread would have thrown it: same class, same one-line message. */
function errorFrom(e: { image: boolean; message: string; subject?: string }): Error {
  if (!e.image) return new Error(e.message);
  // The message holds the subject already (PortcullisError prefixes it): taken apart to keep both.
  const prefix = `${e.subject}: `;
  if (e.subject !== undefined && e.message.startsWith(prefix)) return new ImageError(e.message.slice(prefix.length), { subject: e.subject });
  return new ImageError(e.message);
}
