// JSON Schema of a policy test file (`kind: PolicyTest`), run by `portcullis policy test`.
const action = { enum: ['block', 'warn', 'ignore'] } as const;
const strList = { type: 'array', items: { type: 'string' } } as const;

const finding = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'severity', 'package'],
  properties: {
    id: { type: 'string', minLength: 1 },
    aliases: strList,
    severity: { enum: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] },
    status: { enum: ['fixed', 'affected', 'will_not_fix', 'fix_deferred', 'end_of_life'] },
    fixedVersions: strList,
    kev: { type: ['boolean', 'object'] },
    epss: { type: 'object', additionalProperties: false, required: ['score'], properties: { score: { type: 'number' }, percentile: { type: 'number' } } },
    cvss: { type: 'number' },
    published: { type: 'string' },
    layer: { type: 'integer', minimum: 0 },
    package: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'version', 'type'],
      properties: {
        name: { type: 'string' }, version: { type: 'string' }, type: { type: 'string' }, ecosystem: { type: 'string' },
        purl: { type: 'string' }, path: { type: 'string' }, sourceName: { type: 'string' }, dev: { type: 'boolean' },
      },
    },
  },
} as const;

const expectedFinding = {
  anyOf: [
    action,
    {
      type: 'object',
      additionalProperties: false,
      required: ['action'],
      properties: { action, rule: { type: 'string' }, decidedBy: { type: 'string' }, preExisting: { type: 'boolean' } },
    },
  ],
} as const;

export const POLICY_TEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'portcullis.dev/v1' },
    kind: { const: 'PolicyTest' },
    metadata: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' }, description: { type: 'string' } } },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['policies', 'cases'],
      properties: {
        policies: { type: 'array', minItems: 1, items: { type: 'string' } },
        now: { type: 'string' },
        cases: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'expect'],
            properties: {
              name: { type: 'string' },
              now: { type: 'string' },
              baseLayerCount: { type: 'integer', minimum: 0 },
              findings: { type: 'array', items: finding },
              baseline: { type: 'array', items: finding },
              ignore: strList,
              image: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  user: { type: 'string' }, env: strList, labels: { type: 'object', additionalProperties: { type: 'string' } },
                  history: strList, repository: { type: 'string' }, tags: strList,
                },
              },
              db: { type: 'object', additionalProperties: false, properties: { updatedAt: { type: 'string' } } },
              expect: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  blocked: { type: 'boolean' },
                  findings: { type: 'object', additionalProperties: expectedFinding },
                  imageViolations: strList,
                  limitViolations: strList,
                  expiredExceptions: strList,
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
