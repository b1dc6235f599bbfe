import type { Readable, Writable } from 'node:stream';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Progress output is for humans: only on a TTY stderr, never in CI, never with --quiet. */
export function wantsProgress(io: CliIO, quiet: boolean): boolean {
  return !quiet && io.stderr.isTTY === true && !io.env.CI;
}
