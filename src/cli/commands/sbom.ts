import { PortcullisError } from '../../errors.js';
import { writeReports } from '../../report/output.js';
import { inventoryWithGaps } from '../../scan/inventory-report.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { wantsProgress } from '../io.js';
import { FORMAT_FLAGS, formatTargets, formatUsage, SBOM_OUTPUT } from '../format-flags.js';
import { CACHE_FLAGS, CACHE_USAGE, cacheOptions } from './cache-flags.js';
import { IMAGE_SRC_FLAGS, IMAGE_SRC_USAGE, imageSourceOptions } from './image-src-flags.js';
import { registryOptions, REGISTRY_FLAGS, REGISTRY_USAGE } from './registry-flags.js';

const usage = `Usage: portcullis sbom <image> [options]

Inventories the packages in an image (no vulnerability matching) and writes an SBOM.
Formats: json (the native report), cyclonedx (1.6 JSON), spdx (2.3 JSON), table (for people).

<image>: docker-archive:PATH | oci-archive:PATH | oci:DIR[:TAG] | PATH (detected)
         docker:NAME | podman:NAME | containerd:NAME | containers-storage:NAME | docker://REF
         NAME[:TAG]: tried in each --image-src in order

Options:
${formatUsage(SBOM_OUTPUT)}  --platform P            os/arch[/variant] to pick from a multi-platform image
  --quiet                 no progress output
${IMAGE_SRC_USAGE}${CACHE_USAGE}${REGISTRY_USAGE}`;

const command: Command = {
  name: 'sbom',
  summary: 'Inventory the packages of an image (native JSON, CycloneDX, SPDX or a table)',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('sbom', args, {
      ...FORMAT_FLAGS,
      platform: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      ...CACHE_FLAGS,
      ...REGISTRY_FLAGS,
      ...IMAGE_SRC_FLAGS,
    });
    if (positionals.length !== 1) throw new PortcullisError(`sbom: expected one image argument (got ${positionals.length})`);
    const targets = formatTargets(values, SBOM_OUTPUT, io.cwd);
    const progress = wantsProgress(io, values.quiet === true);
    const { report, unread } = await inventoryWithGaps({
      input: {
        image: positionals[0],
        source: {
          ...(values.platform ? { platform: values.platform } : {}),
          ...(await registryOptions(values, io)),
          ...imageSourceOptions(values, io),
        },
      },
      cache: cacheOptions(values),
      env: io.env,
      cwd: io.cwd,
      onProgress: progress ? (m) => io.stderr.write(`\r\x1b[K${m}`) : undefined,
      onNotice: (m) => io.stderr.write(`${progress ? '\r\x1b[K' : ''}portcullis: ${m}\n`),
    });
    if (progress) io.stderr.write('\r\x1b[K');
    // The documents themselves say which package files were not read (CycloneDX: the BOM is
    // `incomplete`), so a later `scan --sbom` of them is incomplete too.
    if (unread.length > 0) report.unread = unread;
    await writeReports(report, targets, io);
    // Package files that exist but were not read list no packages in the SBOM: say so, in one line.
    if (unread.length > 0) {
      const files = unread.map((u) => `${u.path} (${u.cataloger}: ${u.code})`).join(', ');
      io.stderr.write(`portcullis: the SBOM is incomplete (and says so), package files not read: ${files}; \`portcullis scan\` lists why
`);
    }
    return 0;
  },
};
export default command;
