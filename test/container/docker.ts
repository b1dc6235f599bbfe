// A private dockerd (overlay2: a vfs load would copy the image once per layer) with the portcullis
// image loaded, and a `docker` that never throws (the tests judge exit codes).
import { execFile } from 'node:child_process';
import { startDockerd, type Daemon } from '../stores/daemons.js';
import { DOCKER_CLI } from '../fixtures/portcullis-image.js';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PrivateDocker {
  daemon: Daemon;
  docker(args: string[], timeoutMs?: number): Promise<Result>;
  stop(): Promise<void>;
}

export async function privateDocker(...archives: string[]): Promise<PrivateDocker> {
  const daemon = await startDockerd({ storageDriver: 'overlay2' });
  const env = { ...process.env, ...daemon.env };
  const docker = (args: string[], timeoutMs = 20 * 60_000) =>
    new Promise<Result>((resolve) => {
      execFile(DOCKER_CLI, args, { env, maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  try {
    for (const a of archives) {
      const r = await docker(['load', '-q', '-i', a]);
      if (r.code !== 0) throw new Error(`docker load ${a}: ${r.stderr}`);
    }
  } catch (err) {
    await daemon.stop();
    throw err;
  }
  return { daemon, docker, stop: () => daemon.stop() };
}
