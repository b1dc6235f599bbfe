// Public surface of the registry source.
export { RegistrySource } from './source.js';
export { openRegistryImage } from './open.js';
export { RegistryClient, MANIFEST_ACCEPT, DEFAULT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, type RegistryOptions } from './client.js';
export { parseReference, tryParseReference, formatReference, allowsPlainHttp, type RegistryReference } from './reference.js';
export { resolveCredentials, dockerConfigPath, type Credentials } from './credentials.js';
export { parseChallenges, type Challenge } from './auth.js';
export { parseRetryAfter, backoffDelay } from './retry.js';
export { Redactor } from './redact.js';
