// Two images for the fleet tests: the Debian test image ("base", its OCI layout) and the same
// image with one more layer on top ("app", tag `app` in the same layout), made with umoci.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DebianImageFixture } from '../fixtures/debian-image.js';

export interface FleetImages {
  layout: string;
  /** `oci:DIR:test`: the 3-layer base image. */
  base: string;
  /** `oci:DIR:app`: base + one layer with an npm package. */
  app: string;
}

export function fleetImages(img: DebianImageFixture, work: string): FleetImages {
  const layout = join(work, 'fleet-oci');
  cpSync(img.ociDir, layout, { recursive: true });
  const root = join(work, 'app-layer');
  const pkg = join(root, 'usr', 'lib', 'node_modules', 'left-pad');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'left-pad', version: '1.1.3', license: 'WTFPL' }));
  const tar = join(work, 'app-layer.tar');
  execFileSync('tar', ['-C', root, '--owner=0', '--group=0', '--mtime=@0', '-cf', tar, 'usr']);
  execFileSync('umoci', ['raw', 'add-layer', '--image', `${layout}:test`, '--tag', 'app', tar], { stdio: 'pipe' });
  return { layout, base: `oci:${layout}:test`, app: `oci:${layout}:app` };
}
