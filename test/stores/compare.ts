// What "the same image" means across sources: the same packages, each attributed to the same layer
// (index, diff_id, createdBy), and the same layer list.
import { resolveImageSource, type ResolveOptions } from '../../src/image/resolve.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import type { Image } from '../../src/model/image.js';
import type { LayerDeltaStore } from '../../src/inventory/walker.js';

export interface Seen {
  image: Image;
  packages: string[];
  layers: string[];
  os: string;
}

export async function inventoryOf(arg: string, opts: ResolveOptions = {}, store?: LayerDeltaStore): Promise<Seen> {
  const image = await resolveImageSource(arg, opts).open();
  try {
    const inv = await inventoryImage(image, store ? { store } : {});
    return {
      image,
      os: `${inv.os?.id ?? ''} ${inv.os?.versionId ?? ''}`,
      packages: inv.packages.map((p) => `${p.type} ${p.name} ${p.version} ${p.arch ?? ''} layer=${p.layer?.index}:${p.layer?.diffId}:${p.layer?.createdBy ?? ''}`),
      layers: image.layers.map((l) => `${l.index} ${l.diffId} ${l.createdBy ?? ''}`),
    };
  } finally {
    await image.close();
  }
}
