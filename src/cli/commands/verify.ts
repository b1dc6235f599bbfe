// `portcullis verify REF --key pub.pem`: the deploy-stage check that the image passed the gate.
import { PortcullisError } from '../../errors.js';
import { parsePlatform } from '../../image/platform.js';
import { parseDuration } from '../../vulndb/freshness.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { registryOptions, REGISTRY_FLAGS, REGISTRY_USAGE } from './registry-flags.js';

const usage = `Usage: portcullis verify <image-ref> --key PUB [options]

Finds the image's gate verdicts (in-toto VSA attestations stored as OCI referrers, or through
the referrers tag), keeps those signed by the key and about the image's manifest digest, and
judges the newest: it must be PASSED, under the pinned policy, and recent enough.
Exit: 0 verified, 1 present but FAILED / wrong policy / too old, 2 none, bad signature or error.

Options:
  --key PUB               public key PEM (ECDSA P-256 or Ed25519): a file, env:NAME or fd:N
  --policy-digest D       require the verdict's policy digest (sha256:HEX; see docs/attestations.md)
  --max-age D             refuse a verdict older than D (e.g. 24h, 7d)
  --platform P            os/arch[/variant] when <image-ref> is a multi-platform index
${REGISTRY_USAGE}`;

const command: Command = {
  name: 'verify',
  summary: 'Check at deploy time that an image carries a signed PASSED verdict',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('verify', args, {
      key: { type: 'string' },
      'policy-digest': { type: 'string' },
      'max-age': { type: 'string' },
      platform: { type: 'string' },
      ...REGISTRY_FLAGS,
    });
    if (positionals.length !== 1) throw new PortcullisError(`verify: expected one image reference (got ${positionals.length} arguments)`);
    if (!values.key) throw new PortcullisError('verify: --key is required (the public key the verdicts are signed with)');
    const { loadVerifyingKey, normalisePolicyDigest, resolveImageDigest, fetchAttestations, judgeAttestations } = await import('../../attest/index.js');
    const key = loadVerifyingKey(values.key, { env: io.env, cwd: io.cwd, flag: '--key' });
    let policyDigest: string | undefined;
    if (values['policy-digest'] !== undefined) {
      policyDigest = normalisePolicyDigest(values['policy-digest']);
      if (!policyDigest) throw new PortcullisError('--policy-digest: expected sha256:<64 hex digits>');
    }
    const maxAgeMs = values['max-age'] !== undefined ? parseDuration(values['max-age']) : undefined;
    const { registry } = await registryOptions(values, io);
    const image = await resolveImageDigest(positionals[0]!, values.platform ? parsePlatform(values.platform) : undefined, registry ?? {});
    const found = await fetchAttestations(image.ref, image.digest, registry ?? {});
    const outcome = judgeAttestations(found.candidates, { key, digest: image.digest, ...(policyDigest ? { policyDigest } : {}), ...(maxAgeMs !== undefined ? { maxAgeMs } : {}) });
    const skipped = outcome.code === 2 && found.skipped > 0 ? ` (${found.skipped} unreadable or oversized attestation(s) skipped)` : '';
    (outcome.code === 0 ? io.stdout : io.stderr).write(`portcullis: ${outcome.line}${skipped}\n`);
    return outcome.code;
  },
};
export default command;
