// A walker thread (walk-pool.ts starts it): opens a file-backed layer itself, verifies and
// decompresses it (src/image/layer.ts openLayerFile: the checks open() makes), walks it with the
// registry's catalogers and posts the LayerDelta back. Its own thread, so the layer's hashing,
// inflating and tar parsing run beside the main thread and the other worker.
import { parentPort } from 'node:worker_threads';
import { PortcullisError, errorMessage } from '../errors.js';
import { openLayerFile } from '../image/layer.js';
import { layerFileChunks } from '../image/layer-file.js';
import { COLLECT_EVERY, collectYoung } from './dead-buffers.js';
import { alsoWantedAs } from './link-targets.js';
import { registryWanters, transferables, wanterSignature, type WalkJob, type WalkReply } from './walk-job.js';
import { walkLayer } from './walk-layer.js';

const wanters = registryWanters();

const signature = wanterSignature(wanters);

async function run(job: WalkJob): Promise<void> {
  const port = parentPort!;
  if (job.wanters !== signature) {
    port.postMessage({ id: job.id, mismatch: true } satisfies WalkReply);
    return;
  }
  try {
    const also = job.redirects ? alsoWantedAs(job.redirects) : undefined;
    // Pulled through one reused read buffer (layer-file.ts); a zstd blob through open()'s stream.
    const chunks = await layerFileChunks(job.source, { every: COLLECT_EVERY, inflated: collectYoung });
    let delta;
    if (chunks) delta = await walkLayer(chunks, wanters, job.walkLabel, also);
    else {
      const stream = await openLayerFile(job.source);
      try {
        delta = await walkLayer(stream, wanters, job.walkLabel, also);
      } finally {
        stream.destroy();
      }
    }
    port.postMessage({ id: job.id, delta } satisfies WalkReply, transferables(delta));
  } catch (err) {
    const error: { image: boolean; message: string; subject?: string } = { image: err instanceof PortcullisError, message: errorMessage(err) };
    if (err instanceof PortcullisError && err.subject !== undefined) error.subject = err.subject;
    port.postMessage({ id: job.id, error } satisfies WalkReply);
  }
}

parentPort?.on('message', (job: WalkJob) => {
  void run(job);
});
