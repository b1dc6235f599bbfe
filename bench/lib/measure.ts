// Runs a child under /usr/bin/time -v: wall time and peak RSS of the child itself.
import { execFile } from 'node:child_process';

export interface Measured {
  wallMs: number;
  /** User + system CPU time of the child (all its threads): steadier than wall time on a busy machine. */
  cpuMs: number;
  maxRssMb: number;
  stdout: string;
}

/** `allowExit`: exit codes that are results, not failures (1: blocked by policy). */
export function measure(cmd: string, args: string[], opts: { shell?: boolean; allowExit?: number[]; env?: NodeJS.ProcessEnv } = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const argv = opts.shell ? ['sh', '-c', [cmd, ...args].join(' ')] : [cmd, ...args];
    execFile('/usr/bin/time', ['-v', ...argv], { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, CI: 'true', ...opts.env } }, (err, stdout, stderr) => {
      const wallMs = performance.now() - t0;
      if (err && !(typeof err.code === 'number' && opts.allowExit?.includes(err.code))) {
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.slice(-2000)}`));
        return;
      }
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const secs = (label: string) => Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1] ?? NaN);
      resolve({ wallMs, cpuMs: 1000 * (secs('User') + secs('System')), maxRssMb: m ? Number(m[1]) / 1024 : NaN, stdout });
    });
  });
}
