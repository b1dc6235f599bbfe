// The user's home directory: $HOME, else the password database's entry (os.homedir()). `node:os`
// loads only in that case: its module is ~1 ms of every start otherwise.
import { lazyRequire } from './lazy-require.js';

const os = lazyRequire<typeof import('node:os')>('node:os');

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || os().homedir();
}
