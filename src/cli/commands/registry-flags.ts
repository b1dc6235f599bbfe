// Registry flags shared by `scan` and `sbom`: credentials never come from argv (stdin or env only).
import { PortcullisError } from '../../errors.js';
import type { ResolveOptions } from '../../image/resolve.js';
import { parseDuration } from '../../vulndb/freshness.js';
import type { CliIO } from '../io.js';

export const REGISTRY_FLAGS = {
  username: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false },
  'insecure-registry': { type: 'string', multiple: true },
  timeout: { type: 'string' },
} as const;

export const REGISTRY_USAGE = `  --username U            registry user (password from --password-stdin or $PORTCULLIS_REGISTRY_PASSWORD)
  --password-stdin        read the registry password from stdin
  --insecure-registry H   allow plain HTTP to host H (localhost always may), repeatable
  --timeout D             give up on the registry after D (default 5m)
`;

async function readStdin(io: CliIO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

interface RegistryFlagValues {
  username?: string;
  'password-stdin'?: boolean;
  'insecure-registry'?: string[];
  timeout?: string;
}

export async function registryOptions(values: RegistryFlagValues, io: CliIO): Promise<Pick<ResolveOptions, 'registry'>> {
  const out: NonNullable<ResolveOptions['registry']> = { env: io.env };
  if (values['password-stdin'] && !values.username) throw new PortcullisError('--password-stdin needs --username');
  if (values.username) out.username = values.username;
  if (values['password-stdin']) {
    const password = await readStdin(io);
    if (!password) throw new PortcullisError('--password-stdin: stdin was empty');
    out.password = password;
  }
  if (values['insecure-registry']?.length) out.insecureRegistries = values['insecure-registry'];
  if (values.timeout) out.timeoutMs = parseDuration(values.timeout);
  return { registry: out };
}
