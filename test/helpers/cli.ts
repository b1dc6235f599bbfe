// Runs the CLI in-process (fast) or as a real process (exit codes, crashes, stdin).
import { execFile } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { PROJECT_ROOT } from './shared.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** In-process: `main(args)` with captured stdout/stderr. */
export async function runCli(
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  const out = collect();
  const err = collect();
  const io: CliIO = {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from([opts.stdin ?? '']),
    env: { ...process.env, CI: 'true', ...opts.env },
    cwd: opts.cwd ?? process.cwd(),
  };
  const code = await main(args, io);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}

/** tsx's loader by absolute URL, so a child can run from any working directory. */
export const TSX_LOADER = pathToFileURL(join(PROJECT_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** A real child process running the CLI from source through tsx. */
export function spawnCli(
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', TSX_LOADER, join(PROJECT_ROOT, 'src/cli/entry.ts'), ...args],
      {
        cwd: opts.cwd ?? PROJECT_ROOT,
        env: { ...process.env, CI: 'true', ...opts.env },
        maxBuffer: 256 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 300_000,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(opts.stdin ?? '');
  });
}

/**
 * stderr lines other than the notice a bare image name gives when it ends at the registry (the
 * local stores tried first, docs/image-sources.md): what one-line error checks judge.
 */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !/^portcullis: \S+: not in (docker|containerd|podman|containers-storage)\b/.test(l));
}
