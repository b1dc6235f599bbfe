// A child's CPU time (user + system, all its threads) to the millisecond: bash's `times` reports the
// children's rusage with ms digits, where /usr/bin/time (measure.ts) prints hundredths of a second —
// too coarse for start-up figures of 20-50 ms. Its stdout is discarded; a failing command throws (with its stderr).
import { execFile } from 'node:child_process';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function childCpu(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ cpuMs: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const script = `${[cmd, ...args].map(quote).join(' ')} >/dev/null || exit 1; times`;
    execFile('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } }, (err, stdout, stderr) => {
      const wallMs = performance.now() - t0;
      if (err) return reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.slice(-2000)}`));
      // `times`: the shell's own line, then the children's: "0m0.123s 0m0.045s".
      const m = /\n(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stdout);
      if (!m) return reject(new Error(`no CPU times in ${JSON.stringify(stdout.slice(-200))}`));
      resolve({ cpuMs: 1000 * (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])), wallMs });
    });
  });
}
