// `portcullis version compare`: the version comparators as a command (and a fast batch filter).
import { createInterface } from 'node:readline';
import { PortcullisError } from '../../errors.js';
import { parseCommandArgs, unknownSubcommand } from '../args.js';
import type { Command } from '../command.js';
import type { CliIO } from '../io.js';
import { getComparator, InvalidVersionError, knownEcosystems, type Comparator } from '../../version/index.js';

const USAGE = `portcullis version compare --ecosystem ECOSYSTEM A B
portcullis version compare --ecosystem ECOSYSTEM --stdin

Prints -1, 0 or 1 (A < B, A = B, A > B) as ECOSYSTEM's own tool orders versions.
With --stdin, reads lines "A<TAB>B" and prints one result per line.
ECOSYSTEM is an OSV ecosystem name (Debian, Alpine:v3.20, Red Hat, npm, PyPI, Maven, Go, …).
Exit 2 for an invalid version or an unknown ecosystem.`;

function compareOrFail(cmp: Comparator, a: string, b: string, where: string): -1 | 0 | 1 {
  try {
    return cmp.compare(a, b);
  } catch (err) {
    if (err instanceof InvalidVersionError) throw new PortcullisError(`version compare: ${where}${err.message}`);
    throw err;
  }
}

async function compareStdin(cmp: Comparator, io: CliIO): Promise<void> {
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let out: string[] = [];
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line === '') continue;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new PortcullisError(`version compare: stdin line ${lineNo}: expected "A<TAB>B"`);
    out.push(String(compareOrFail(cmp, line.slice(0, tab), line.slice(tab + 1), `stdin line ${lineNo}: `)));
    if (out.length >= 8192) {
      io.stdout.write(out.join('\n') + '\n');
      out = [];
    }
  }
  if (out.length > 0) io.stdout.write(out.join('\n') + '\n');
}

const command: Command = {
  name: 'version',
  summary: 'Compare versions as an ecosystem does',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('version', args, {
      ecosystem: { type: 'string', short: 'e' },
      stdin: { type: 'boolean' },
    });
    const [sub, ...rest] = positionals;
    if (sub !== 'compare') throw unknownSubcommand('version', sub, ['compare']);
    if (!values.ecosystem) throw new PortcullisError('version compare: --ecosystem is required');
    const cmp = getComparator(values.ecosystem);
    if (!cmp) {
      throw new PortcullisError(`version compare: unknown ecosystem ${JSON.stringify(values.ecosystem)}; known: ${knownEcosystems().join(', ')}`);
    }
    if (values.stdin) {
      if (rest.length > 0) throw new PortcullisError('version compare: give either --stdin or two versions, not both');
      await compareStdin(cmp, io);
      return 0;
    }
    if (rest.length !== 2) throw new PortcullisError('version compare: expected two versions A B');
    io.stdout.write(`${compareOrFail(cmp, rest[0]!, rest[1]!, '')}\n`);
    return 0;
  },
};
export default command;
