// Child process for the concurrency test: puts (and re-reads) one key many times.
import { openLayerCache } from '../../src/cache/index.js';

const SECRET = Buffer.alloc(32, 3);
const [dir, key, fill, rounds] = process.argv.slice(2);
const cache = openLayerCache({ secret: SECRET, dir: dir! });
const data = Buffer.alloc(256 * 1024, Number(fill));
let bad = 0;
for (let i = 0; i < Number(rounds); i++) {
  if (!(await cache.put(key!, data))) bad++;
  const got = await cache.get(key!);
  // Whatever another writer installed, a read sees one writer's whole entry.
  if (got && !(got.length === data.length && got.every((b) => b === got[0]))) bad++;
}
process.stdout.write(String(bad));
