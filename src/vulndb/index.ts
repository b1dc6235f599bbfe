// The vulnerability database: what scan / match import.
export { lookupKey, normalisePackageName, type Enrichment, type PackageQuery, type VulnSource } from './source.js';
export { affectedFor, ecosystemMatches, mainEcosystem } from './ecosystem.js';
export { defaultDbPath, resolveDbPath } from './paths.js';
export { openLocalDb, type LocalDb, type SourceInfo } from './local.js';
export { openRemoteDb, type RemoteDb, type RemoteOptions } from './remote.js';
export { openVulnSource, type OpenVulnSourceOptions } from './open.js';
export { importFiles, type ImportFilesOptions } from './import-files.js';
export type { ImportStats } from './import.js';
export { updateDb, mirrorsFromEnv, updateSourcesFromEnv, OSV_BUCKET, KEV_URL, EPSS_URL, type UpdateOptions, type UpdateResult, type UpdateEvent } from './update.js';
export { progressReporter } from './progress.js';
export { checkFreshness, parseDuration, formatAge, DEFAULT_MAX_DB_AGE_MS } from './freshness.js';
export { serveDb, parseListen, type ServeOptions, type RunningServer } from './server.js';
