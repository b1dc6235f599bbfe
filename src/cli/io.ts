import type { Readable, Writable } from 'node:stream';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * The process's own. Each standard stream is made on first use (Node builds process.stdin when it is
 * first read: a socket or file stream, ~3 ms and 0.3 MB a run that never reads it).
 */
export function processIO(): CliIO {
  return {
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Progress output is for humans: only on a TTY stderr, never in CI, never with --quiet. */
export function wantsProgress(io: CliIO, quiet: boolean): boolean {
  return !quiet && io.stderr.isTTY === true && !io.env.CI;
}
