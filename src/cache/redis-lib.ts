// The parts of node-redis the shared cache uses, from their own modules. The package's index also
// loads the cluster, sentinel, pool and multi-db clients: a third of its code, loaded by every run
// that has a Redis cache and used by none.
import client from '@redis/client/dist/lib/client/index.js';
import decoder from '@redis/client/dist/lib/RESP/decoder.js';
import errors from '@redis/client/dist/lib/errors.js';

// The client module is CommonJS with `exports.default`: Node (and esbuild, in a "type": "module"
// package) give the default import as the whole `module.exports`; vitest's interop gives
// `exports.default` itself.
const clientClass = (client as unknown as { default?: unknown }).default ?? client;

export const RedisClient = clientClass as typeof client.default;
export const RESP_TYPES = decoder.RESP_TYPES;
export const ErrorReply = errors.ErrorReply;
