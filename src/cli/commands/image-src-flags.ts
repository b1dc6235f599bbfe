// `--image-src`, shared by `scan` and `sbom`: where a bare image name is looked for, in order.
import { parseImageSources } from '../../image/stores/index.js';
import type { ResolveOptions } from '../../image/resolve.js';
import type { CliIO } from '../io.js';

export const IMAGE_SRC_FLAGS = {
  'image-src': { type: 'string' },
} as const;

export const IMAGE_SRC_USAGE = `  --image-src LIST        where a bare NAME[:TAG] is looked for, in order (default
                          docker,containerd,podman,registry; also containers-storage)
`;

export function imageSourceOptions(values: { 'image-src'?: string }, io: CliIO): Pick<ResolveOptions, 'imageSources' | 'env' | 'onNotice'> {
  return {
    ...(values['image-src'] !== undefined ? { imageSources: parseImageSources(values['image-src']) } : {}),
    env: io.env,
    onNotice: (m) => io.stderr.write(`portcullis: ${m}\n`),
  };
}
