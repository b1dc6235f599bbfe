// `portcullis attest push REF FILE`: stores a signed attestation next to the image, as an OCI 1.1
// referrer of its manifest (with the referrers tag schema for registries without the API).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PortcullisError } from '../../errors.js';
import { parsePlatform } from '../../image/platform.js';
import { readBoundedText } from '../../policy/json-file.js';
import { parseCommandArgs, unknownSubcommand } from '../args.js';
import { EXIT_PASS, type Command } from '../command.js';
import { registryOptions, REGISTRY_FLAGS, REGISTRY_USAGE } from './registry-flags.js';

const MAX_ATTESTATION_BYTES = 16 * 1024 * 1024;

const usage = `Usage: portcullis attest push <image-ref> <FILE> [options]

Stores FILE (a Sigstore bundle or DSSE envelope, as \`scan --attest FILE --key K\` writes it) in
the image's repository as an OCI 1.1 referrer of the image manifest. Registries without the
referrers API get the referrers tag (sha256-<hex>) updated. The statement's subject must be the
image's manifest digest. Prints the attestation manifest's digest. Exit 0 pushed, 2 error.

Options:
  --platform P            os/arch[/variant] when <image-ref> is a multi-platform index
  --digest-file F         also write the attestation manifest digest to F (a pipeline result)
${REGISTRY_USAGE}`;

const command: Command = {
  name: 'attest',
  summary: 'Attach a signed gate verdict to an image in its registry',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('attest', args, {
      platform: { type: 'string' },
      'digest-file': { type: 'string' },
      ...REGISTRY_FLAGS,
    });
    const [sub, ref, file, ...extra] = positionals;
    if (sub !== 'push') throw unknownSubcommand('attest', sub, ['push']);
    if (!ref || !file || extra.length) throw new PortcullisError('attest push: expected <image-ref> <FILE>');
    const { parseAttestation, bundleOf, resolveImageDigest, pushAttestation } = await import('../../attest/index.js');
    const path = resolve(io.cwd, file);
    const text = await readBoundedText(path, 'attestation', MAX_ATTESTATION_BYTES);
    const parsed = parseAttestation(text, path);
    if (parsed.envelope.payloadType !== 'application/vnd.in-toto+json') throw new PortcullisError('the envelope does not hold an in-toto statement', { subject: path });
    let statement: { subject?: { digest?: Record<string, string> }[]; predicateType?: string; predicate?: { timeVerified?: string } };
    try {
      statement = JSON.parse(Buffer.from(parsed.envelope.payload, 'base64').toString('utf8')) as typeof statement;
    } catch {
      throw new PortcullisError('the envelope payload is not JSON', { subject: path });
    }
    const { registry } = await registryOptions(values, io);
    const image = await resolveImageDigest(ref, values.platform ? parsePlatform(values.platform) : undefined, registry ?? {});
    const hex = image.digest.slice(image.digest.indexOf(':') + 1);
    if (!(statement.subject ?? []).some((s) => s?.digest?.sha256 === hex)) {
      throw new PortcullisError(`the attestation is not about ${image.digest} (the manifest ${ref} resolves to); refusing to attach it`, { subject: path });
    }
    const bundle = parsed.form === 'bundle' ? Buffer.from(text, 'utf8') : Buffer.from(JSON.stringify(bundleOf(parsed.envelope)), 'utf8');
    const created = typeof statement.predicate?.timeVerified === 'string' ? statement.predicate.timeVerified : new Date().toISOString();
    const pushed = await pushAttestation(image.ref, image.digest, bundle, String(statement.predicateType ?? ''), created, registry ?? {});
    if (values['digest-file']) writeFileSync(resolve(io.cwd, values['digest-file']), pushed.digest);
    io.stdout.write(`${pushed.digest}\n`);
    io.stderr.write(`portcullis: attestation ${pushed.digest} attached to ${image.digest} (${pushed.indexedBy === 'api' ? 'referrers API' : `referrers tag ${image.digest.replace(':', '-')}`})\n`);
    return EXIT_PASS;
  },
};
export default command;
