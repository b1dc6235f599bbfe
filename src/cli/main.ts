import { PortcullisError, errorMessage } from '../errors.js';
import { didYouMean } from './args.js';
import { EXIT_ERROR, type Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { processIO, type CliIO } from './io.js';
import { TOOL_VERSION } from '../version-info.js';

function topUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return [
    'portcullis — container-image vulnerability gate',
    '',
    'Usage: portcullis <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Every command and subcommand has its own help: portcullis scan --help, portcullis db import --help',
    'Global options: --debug (stack traces on error), --help, --version',
    'Exit codes: 0 pass, 1 blocked by policy, 2 error',
    '',
  ].join('\n');
}

/** The help `args` ask for: a subcommand's own when one is named (`db import --help`), else the command's. */
function helpFor(command: Command, args: readonly string[]): string {
  const subs = command.subcommands ?? {};
  const sub = args.find((a) => Object.hasOwn(subs, a));
  const text = sub !== undefined ? subs[sub]! : command.usage;
  return text.endsWith('\n') ? text : `${text}\n`;
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function loadCommand(name: string): Promise<Command> {
  const entry = COMMANDS[name];
  if (!entry) {
    const guess = didYouMean(name, Object.keys(COMMANDS));
    throw new PortcullisError(`unknown command "${name}" (${guess ? `did you mean ${guess}? ` : ''}see portcullis --help)`);
  }
  return entry.load();
}

/** Runs the CLI; returns the exit code. Never throws: every error is exit 2 with one line. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const debug = argv.includes('--debug') || io.env.PORTCULLIS_DEBUG === '1';
  const args = argv.filter((a) => a !== '--debug');
  const [name, ...rest] = args;
  try {
    if (name === 'help' && rest.length) {
      // `portcullis help db import` = `portcullis db import --help`
      io.stdout.write(helpFor(await loadCommand(rest[0]!), rest.slice(1)));
      return 0;
    }
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(topUsage());
      return name ? 0 : EXIT_ERROR;
    }
    if (name === '--version') {
      io.stdout.write(`portcullis ${TOOL_VERSION}\n`);
      return 0;
    }
    const command = await loadCommand(name);
    if (wantsHelp(rest)) {
      io.stdout.write(helpFor(command, rest));
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    const known = err instanceof PortcullisError;
    const line = known ? errorMessage(err) : `internal error: ${errorMessage(err)}`;
    io.stderr.write(`portcullis: ${line.split('\n')[0]}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return EXIT_ERROR;
  }
}
