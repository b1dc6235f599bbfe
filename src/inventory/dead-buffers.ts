// Dead layer Buffers freed as they die. A layer read allocates its memory outside the JS heap: a
// new Buffer per read (fs streams) and per inflated chunk (zlib), dead as soon as the walker has
// parsed it. V8 frees such a Buffer only in a garbage collection, and the walker makes so few JS
// objects that its young generation fills rarely: tens of MB of dead Buffers piled up (and glibc
// kept the pages) before V8's external-memory limit forced one. A minor collection every few MiB
// of layer bytes frees them (a scavenge of a nearly empty young generation: a fraction of a millisecond).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: ((opts: { type: 'minor' }) => void) | undefined;

/** A young-generation collection of this thread's heap. */
export function collectYoung(): void {
  if (!gc) {
    // `gc` is given to contexts made after the flag is set; the process's own context is unchanged.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as (opts: { type: 'minor' }) => void;
  }
  gc({ type: 'minor' });
}

/**
 * Layer bytes between two collections. Built CLI, OCI gzip, 5 interleaved runs a setting, peak RSS
 * medians (ranges): files shape 16 MiB 147 (143-155), 8 MiB 140 (138-142), 4 MiB 143 (137-145) MB;
 * the Debian image grown 10x with 1 MiB random files (bench/sbom.ts), 16 MiB 122-124 (2 runs),
 * 8 MiB 104 (99-109), 4 MiB 138 (127-144) MB; CPU within noise. Too often, and the chunks alive at
 * each collection seem to teach V8 that Buffers survive (allocation-site pretenuring): they are then
 * made in the old generation, which only a full collection frees (`--trace-gc`: 60 MB of them
 * between mark-compacts at 4 MiB on the 10x image; `--no-allocation-site-pretenuring` 125 vs 138 MB).
 */
export const COLLECT_EVERY = 8 * 1024 * 1024;
