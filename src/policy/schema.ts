// JSON Schema of a policy file. Kept as a TS object so it ships inside dist/ with the code.
// `when` is only type-checked here: json-logic operators and fields are checked by logic/validate.ts.

const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$', maxLength: 200 } as const;
const when = { type: ['object', 'boolean'], minProperties: 1 } as const;
const text = { type: 'string', minLength: 1, maxLength: 4000 } as const;

export const POLICY_SCHEMA = {
  $id: 'https://portcullis.dev/schemas/policy-v1.json',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'portcullis.dev/v1' },
    kind: { const: 'Policy' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: text, description: text, owner: text },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rules: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'action', 'when'],
            properties: { id, description: text, action: { enum: ['block', 'warn', 'ignore'] }, when },
          },
        },
        limits: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'max', 'when'],
            properties: { id, description: text, max: { type: 'integer', minimum: 0 }, action: { enum: ['block', 'warn'] }, when },
          },
        },
        exceptions: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'reason', 'expires'],
            properties: {
              id,
              package: text,
              purl: { type: 'string', pattern: '^pkg:' },
              version: text,
              path: text,
              reason: text,
              expires: { type: 'string', format: 'date' },
              owner: text,
            },
          },
        },
        coverage: {
          type: 'object',
          additionalProperties: false,
          properties: {
            accept: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['reason'],
                anyOf: [{ required: ['ecosystem'], properties: { ecosystem: text } }, { required: ['path'], properties: { path: text } }],
                properties: {
                  ecosystem: text,
                  status: { enum: ['no-data', 'unsupported', 'os-unknown'] },
                  path: text,
                  reason: text,
                  expires: { type: 'string', format: 'date' },
                  owner: text,
                },
              },
            },
            unreadManifests: { enum: ['block', 'warn', 'ignore'] },
            uncheckedPackages: { enum: ['block', 'warn', 'ignore'] },
            missingIntel: { type: 'array', uniqueItems: true, items: { enum: ['kev', 'epss'] } },
          },
        },
        image: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'action', 'when'],
            properties: { id, description: text, action: { enum: ['block', 'warn'] }, when },
          },
        },
      },
    },
  },
} as const;
