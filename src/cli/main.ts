import { PortcullisError, errorMessage } from '../errors.js';
import { EXIT_ERROR } from './command.js';
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
    'Global options: --debug (stack traces on error), --help, --version',
    'Exit codes: 0 pass, 1 blocked by policy, 2 error',
    '',
  ].join('\n');
}

/** Runs the CLI; returns the exit code. Never throws: every error is exit 2 with one line. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const debug = argv.includes('--debug') || io.env.PORTCULLIS_DEBUG === '1';
  const args = argv.filter((a) => a !== '--debug');
  const [name, ...rest] = args;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(topUsage());
      return name ? 0 : EXIT_ERROR;
    }
    if (name === '--version') {
      io.stdout.write(`portcullis ${TOOL_VERSION}\n`);
      return 0;
    }
    const entry = COMMANDS[name];
    if (!entry) throw new PortcullisError(`unknown command "${name}" (see portcullis --help)`);
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
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
