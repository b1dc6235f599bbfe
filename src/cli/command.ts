import type { CliIO } from './io.js';

/** Exit codes: the contract with pipelines. */
export const EXIT_PASS = 0;
export const EXIT_BLOCKED = 1;
export const EXIT_ERROR = 2;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text printed by `portcullis NAME --help`. */
  readonly usage: string;
  /** A group's subcommands and each one's own help (`portcullis db import --help`). */
  readonly subcommands?: Readonly<Record<string, string>>;
  /** Returns the exit code. Throw PortcullisError for bad input (the shell prints one line, exit 2). */
  run(args: string[], io: CliIO): Promise<number>;
}
