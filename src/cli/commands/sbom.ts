import { resolveImageSource } from '../../image/resolve.js';
import { inventoryImage } from '../../inventory/inventory.js';
import { buildInventoryReport } from '../../inventory/report.js';
import { encoderFor, formatNames } from '../../report/index.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { wantsProgress } from '../io.js';
import { PortcullisError } from '../../errors.js';
import { resolve } from 'node:path';
import { registryOptions, REGISTRY_FLAGS, REGISTRY_USAGE } from './registry-flags.js';

const usage = `Usage: portcullis sbom <image> [options]

Inventories the packages in an image (no vulnerability matching) and writes an SBOM.

<image>: docker-archive:PATH | oci-archive:PATH | oci:DIR[:TAG] | PATH (detected) | registry reference

Options:
  --format F      json (native report, default) | ${'cyclonedx'} … (see docs/report-format.md)
  --output FILE   write to FILE (atomically) instead of stdout
  --platform P    os/arch[/variant] to pick from a multi-platform image
  --quiet         no progress output
${REGISTRY_USAGE}`;

const command: Command = {
  name: 'sbom',
  summary: 'Inventory an image and write an SBOM (native JSON or CycloneDX)',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('sbom', args, {
      format: { type: 'string', default: 'json' },
      output: { type: 'string' },
      platform: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      ...REGISTRY_FLAGS,
    });
    if (positionals.length !== 1) throw new PortcullisError(`sbom: expected one image argument (got ${positionals.length})`);
    const format = values.format as string;
    if (!formatNames().includes(format)) encoderFor(format); // throws the "unknown format" line
    const encoder = encoderFor(format);
    const source = resolveImageSource(positionals[0], {
      ...(values.platform ? { platform: values.platform } : {}),
      ...(await registryOptions(values, io)),
    });
    const progress = wantsProgress(io, values.quiet === true);
    const image = await source.open();
    let text: string;
    try {
      const inventory = await inventoryImage(image, {
        onProgress: progress
          ? (p) => io.stderr.write(`\rreading layer ${p.layerIndex + 1}/${p.layerCount} ${p.digest.slice(0, 19)}`)
          : undefined,
      });
      if (progress) io.stderr.write('\r\x1b[K');
      text = encoder.encode(buildInventoryReport(image, inventory));
    } finally {
      await image.close();
    }
    if (values.output) await writeFileAtomic(resolve(io.cwd, values.output), text);
    else io.stdout.write(text);
    return 0;
  },
};
export default command;
