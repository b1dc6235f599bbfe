// JSON Schemas for the in-toto Statement v1, the SLSA VSA v1 predicate and the cosign vuln/v1
// predicate, WRITTEN HERE FROM THE SPECIFICATION TEXT: none of the three is published as a JSON
// Schema (in-toto publishes protobuf definitions and prose; cosign a Markdown spec and Go types).
// Sources: in-toto/attestation spec/v1/{statement,resource_descriptor,field_types}.md,
// slsa.dev/spec/v1.0/verification_summary, sigstore/cosign specs/COSIGN_VULN_ATTESTATION_SPEC.md.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv2020) => void;

/** RFC 3339 in UTC, as in-toto's Timestamp field type requires. */
const TIMESTAMP = { type: 'string', format: 'date-time', pattern: 'Z$' };
/** DigestSet: algorithm → lower-case hex (sha256 must be 64 hex digits). */
const DIGEST_SET = {
  type: 'object',
  minProperties: 1,
  additionalProperties: { type: 'string', pattern: '^[a-f0-9]+$' },
  properties: { sha256: { type: 'string', pattern: '^[a-f0-9]{64}$' }, sha512: { type: 'string', pattern: '^[a-f0-9]{128}$' } },
};
/** ResourceDescriptor: at least one of uri, digest, content. */
const RESOURCE_DESCRIPTOR = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    uri: { type: 'string', format: 'uri' },
    digest: DIGEST_SET,
    content: { type: 'string', contentEncoding: 'base64' },
    downloadLocation: { type: 'string', format: 'uri' },
    mediaType: { type: 'string' },
    annotations: { type: 'object' },
  },
  anyOf: [{ required: ['uri'] }, { required: ['digest'] }, { required: ['content'] }],
};

export const STATEMENT_V1 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['_type', 'subject', 'predicateType'],
  properties: {
    _type: { const: 'https://in-toto.io/Statement/v1' },
    // "Each element MUST have digest set."
    subject: { type: 'array', minItems: 1, items: { allOf: [RESOURCE_DESCRIPTOR, { required: ['digest'] }] } },
    predicateType: { type: 'string', format: 'uri' },
    predicate: { type: 'object' },
  },
};

const SLSA_RESULT = { type: 'string', minLength: 1, anyOf: [{ pattern: '^SLSA_BUILD_LEVEL_[0-3]$' }, { const: 'FAILED' }, { not: { pattern: '^SLSA_' } }] };

export const VSA_V1 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['verifier', 'timeVerified', 'resourceUri', 'policy', 'verificationResult', 'verifiedLevels'],
  properties: {
    verifier: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uri' }, version: { type: 'object', additionalProperties: { type: 'string' } } } },
    timeVerified: TIMESTAMP,
    resourceUri: { type: 'string', format: 'uri' },
    // "The entry MUST contain a uri."
    policy: { allOf: [RESOURCE_DESCRIPTOR, { required: ['uri'] }] },
    inputAttestations: { type: 'array', items: { allOf: [RESOURCE_DESCRIPTOR, { required: ['digest'] }] } },
    verificationResult: { enum: ['PASSED', 'FAILED'] },
    verifiedLevels: { type: 'array', items: SLSA_RESULT },
    dependencyLevels: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
    slsaVersion: { type: 'string', pattern: '^[0-9]+\\.[0-9]+$' },
  },
  // "Producers MAY add extension fields using field names that are URIs."
  propertyNames: { anyOf: [{ enum: ['verifier', 'timeVerified', 'resourceUri', 'policy', 'inputAttestations', 'verificationResult', 'verifiedLevels', 'dependencyLevels', 'slsaVersion'] }, { pattern: '^[a-z][a-z0-9+.-]*:' }] },
};

export const COSIGN_VULN_V1 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['invocation', 'scanner', 'metadata'],
  properties: {
    invocation: {
      type: 'object',
      properties: { parameters: {}, uri: { type: 'string' }, event_id: { type: 'string' }, 'builder.id': { type: 'string' } },
    },
    scanner: {
      type: 'object',
      required: ['uri', 'version', 'result'],
      properties: {
        uri: { type: 'string' },
        version: { type: 'string' },
        db: { type: 'object', properties: { uri: { type: 'string' }, version: { type: 'string' } } },
        result: { type: 'object' },
      },
    },
    metadata: { type: 'object', required: ['scanStartedOn', 'scanFinishedOn'], properties: { scanStartedOn: TIMESTAMP, scanFinishedOn: TIMESTAMP } },
  },
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const compiled = { statement: ajv.compile(STATEMENT_V1), vsa: ajv.compile(VSA_V1), vuln: ajv.compile(COSIGN_VULN_V1) };

/** [] when valid, else ajv's messages. */
export function specErrors(which: keyof typeof compiled, doc: unknown): string[] {
  const fn = compiled[which];
  return fn(doc) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
