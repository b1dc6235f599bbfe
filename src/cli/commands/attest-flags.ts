// The scan flags that turn the verdict into a signed attestation: --attest FILE, --attest-vuln FILE,
// --key, --push-attestation. The key is loaded before the scan (a bad key fails in a second) and
// never printed.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PortcullisError } from '../../errors.js';
import type { SigningKey } from '../../attest/keys.js';
import type { RegistryOptions } from '../../image/registry/client.js';
import type { Report } from '../../model/report.js';
import type { CliIO } from '../io.js';

export const ATTEST_FLAGS = {
  attest: { type: 'string' },
  'attest-vuln': { type: 'string' },
  key: { type: 'string' },
  'push-attestation': { type: 'boolean', default: false },
} as const;

export const ATTEST_USAGE = `Attestation (docs/attestations.md):
  --attest FILE           write the verdict as an in-toto SLSA VSA: a Sigstore bundle (DSSE) when
                          --key is given, else the unsigned statement (for an external signer)
  --attest-vuln FILE      also write the cosign vuln/v1 scan record (signed the same way)
  --key KEY               private key PEM (ECDSA P-256 / Ed25519): a file, env:NAME or fd:N
                          (encrypted PKCS#8: passphrase in $PORTCULLIS_KEY_PASSPHRASE)
  --push-attestation      store the signed verdict as an OCI referrer of the image (registry images)
`;

interface AttestFlagValues {
  attest?: string;
  'attest-vuln'?: string;
  key?: string;
  'push-attestation'?: boolean;
  policy?: string[];
  sbom?: string;
}

export interface AttestPlan {
  file?: string;
  vulnFile?: string;
  push: boolean;
  key?: SigningKey;
}

/** Checks the flags and loads the key; undefined when no attestation was asked for. */
export async function attestPlan(values: AttestFlagValues, io: CliIO): Promise<AttestPlan | undefined> {
  const push = values['push-attestation'] === true;
  if (!values.attest && !values['attest-vuln'] && !push) {
    if (values.key) throw new PortcullisError('--key is for --attest / --attest-vuln / --push-attestation');
    return undefined;
  }
  if (values.sbom) throw new PortcullisError('attestations need an image digest: scan the image, not --sbom');
  if (values.policy?.[0] === 'none') throw new PortcullisError('--policy none: an attestation records a gate verdict, so it needs a policy');
  if (push && !values.key) throw new PortcullisError('--push-attestation needs --key (unsigned verdicts are never pushed)');
  const { loadSigningKey } = await import('../../attest/keys.js');
  const key = values.key ? loadSigningKey(values.key, { env: io.env, cwd: io.cwd, flag: '--key' }) : undefined;
  return {
    ...(values.attest ? { file: resolve(io.cwd, values.attest) } : {}),
    ...(values['attest-vuln'] ? { vulnFile: resolve(io.cwd, values['attest-vuln']) } : {}),
    push,
    ...(key ? { key } : {}),
  };
}

/** Writes / pushes the attestations of a decided report. */
export async function runAttestPlan(plan: AttestPlan, report: Report, io: CliIO, registry: RegistryOptions | undefined): Promise<void> {
  const { attestReport, buildVulnStatement, signStatement, pushAttestation, VSA_PREDICATE_TYPE } = await import('../../attest/index.js');
  const { parseReference } = await import('../../image/registry/reference.js');
  const now = new Date();
  const { statement, signed } = attestReport(report, { ...(plan.key ? { key: plan.key } : {}), cwd: io.cwd, now });
  const bundleText = signed ? `${JSON.stringify(signed.bundle)}\n` : undefined;
  if (plan.file) writeFileSync(plan.file, bundleText ?? `${JSON.stringify(statement, null, 2)}\n`);
  if (plan.vulnFile) {
    const vuln = buildVulnStatement(report, now);
    writeFileSync(plan.vulnFile, plan.key ? `${JSON.stringify(signStatement(vuln, plan.key).bundle)}\n` : `${JSON.stringify(vuln, null, 2)}\n`);
  }
  if (plan.push) {
    if (report.image.sourceType !== 'registry') throw new PortcullisError(`--push-attestation: the image was read from ${report.image.sourceType}, not a registry; push it, then run portcullis attest push`);
    const ref = parseReference(report.image.source);
    const pushed = await pushAttestation(ref, report.image.manifestDigest!, Buffer.from(bundleText!, 'utf8'), VSA_PREDICATE_TYPE, statement.predicate.timeVerified, registry ?? {});
    io.stderr.write(`portcullis: attestation ${pushed.digest} (${statement.predicate.verificationResult}) attached to ${report.image.manifestDigest}\n`);
  }
}
