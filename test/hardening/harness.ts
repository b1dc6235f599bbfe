// The hardening harness: runs the REAL CLI (node + tsx, as a separate process under GNU time) in a
// sandbox (fresh cwd, HOME and XDG_CACHE_HOME), and judges the outcome of a hostile case:
// exit 0/1/2 only (no signal, no other code), exit 2 = exactly one line and no stack trace, under a
// timeout, RSS bounded, and no file created anywhere in the sandbox but the declared outputs.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { errorLines } from '../helpers/cli.js';

export const RSS_LIMIT_MB = 300;
/** tsx by absolute URL: the CLI runs with cwd in a temp dir, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(join(PROJECT_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface RunResult {
  /** Exit code of the CLI; 128+N when it died of signal N; -1 when the harness killed it on timeout. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Peak resident set size of the CLI process, MiB (GNU time's "Maximum resident set size"). */
  maxRssMb: number;
  ms: number;
}

export interface Sandbox {
  root: string;
  /** The CLI's working directory. */
  cwd: string;
  home: string;
  cache: string;
  /** TMPDIR of the CLI: whatever it leaves there shows up in snapshot(). */
  tmp: string;
  /** Inputs (images, policies…) go here. */
  input: string;
  /** Outputs go below here, two levels down, so a `../` escape would land inside the sandbox. */
  out: string;
  env: NodeJS.ProcessEnv;
  /** Every path (files, dirs, links) under root, relative, sorted. */
  snapshot(): string[];
  cleanup(): void;
}

export function sandbox(prefix = 'portcullis-hard-'): Sandbox {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dirs = { tmp: join(root, 'tmp'), cwd: join(root, 'cwd'), home: join(root, 'home'), cache: join(root, 'cache'), input: join(root, 'input'), out: join(root, 'out', 'sub') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const snapshot = (): string[] => {
    const all: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const rel = relative(root, p);
        // tsx (which runs the CLI from source) keeps its compile cache in TMPDIR: not portcullis's.
        if (/^tmp\/tsx-/.test(rel)) continue;
        // The per-user layer cache is one of portcullis's own places (docs/registry.md): its
        // complete, checksummed entries may appear; nothing else under it may.
        if (rel === 'cache/portcullis' || rel === 'cache/portcullis/layers' || /^cache\/portcullis\/layers\/[0-9a-f]{64}\.pclc$/.test(rel)) continue;
        // The per-user layer-cache key (src/cache/secret.ts) is another: it and its dirs may appear.
        if (!/^home\/\.local(\/state(\/portcullis(\/cache-key)?)?)?$/.test(rel)) all.push(rel);
        if (lstatSync(p).isDirectory()) walk(p);
      }
    };
    walk(root);
    return all.sort();
  };
  return {
    root,
    ...dirs,
    env: { HOME: dirs.home, XDG_CACHE_HOME: dirs.cache, TMPDIR: dirs.tmp },
    snapshot,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Runs `portcullis ARGS` under /usr/bin/time -v in its own process group; kills the group on timeout. */
export function runCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; stdin?: string }): Promise<RunResult> {
  const timeFile = join(tmpdir(), `portcullis-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, process.execPath, '--import', TSX, join(PROJECT_ROOT, 'src/cli/entry.ts'), ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH, CI: 'true', ...opts.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let maxRssMb = 0;
      let exitCode = code ?? (signal ? 128 : -1);
      try {
        const t = readFileSync(timeFile, 'utf8');
        maxRssMb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(t)?.[1] ?? 0) / 1024;
        // GNU time exits with the child's code, or says which signal ended it.
        const sig = /Command terminated by signal (\d+)/.exec(t);
        if (sig) exitCode = 128 + Number(sig[1]);
      } catch {
        // time itself was killed (timeout)
      }
      rmSync(timeFile, { force: true });
      resolve({
        code: timedOut ? -1 : exitCode,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        maxRssMb,
        ms: Date.now() - started,
      });
    });
  });
}

export type Expected =
  /** exit 2 with one clear line; `match` must appear in it. */
  | { kind: 'error'; match?: RegExp; lines?: 'one' | 'per-problem' }
  /** exit 0 or 1; the report (JSON at `report`) holds a warning whose code matches. */
  | { kind: 'warn'; code: RegExp }
  /** exit 0 or 1, no particular warning required. */
  | { kind: 'ok' }
  /** either a clean error or a clean result: the input is ambiguous; never a crash. */
  | { kind: 'error-or-ok' }
  /** exit 2 with one line (`match` in it): something was not checked; the report is still written and says so. */
  | { kind: 'incomplete'; match?: RegExp };

export interface Tally {
  cases: number;
  crashes: number;
  hangs: number;
  maxRssMb: number;
  maxMs: number;
}

export const TALLY: Tally = { cases: 0, crashes: 0, hangs: 0, maxRssMb: 0, maxMs: 0 };

/**
 * The one-line contract for exit 2. `policy validate` is the one command that prints one
 * `FILE:LINE:COL: message` line per problem instead (its documented output): `lines: 'per-problem'`.
 */
export function expectOneLineError(r: RunResult, match?: RegExp, lines: 'one' | 'per-problem' = 'one'): void {
  expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 500)}`).toBe(2);
  expect(r.stderr).not.toContain('\n    at ');
  expect(r.stderr).not.toMatch(/internal error/);
  // A notice naming the local stores tried may come before a registry's error: still one error line.
  const got = errorLines(r.stderr);
  if (lines === 'one') {
    expect(got, r.stderr).toHaveLength(1);
    expect(got[0]).toMatch(/^portcullis: /);
  } else {
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThanOrEqual(20);
    for (const l of got) expect(l).toMatch(/^(portcullis: |\S+?(:\d+:\d+)?: )/);
  }
  if (match) expect(got[0]).toMatch(match);
}

/** Judges one run against its expected outcome; returns the parsed JSON report when there is one. */
export function judge(name: string, r: RunResult, expected: Expected, reportPath?: string): { warnings?: { code: string; message: string }[] } | undefined {
  TALLY.cases++;
  TALLY.maxRssMb = Math.max(TALLY.maxRssMb, r.maxRssMb);
  TALLY.maxMs = Math.max(TALLY.maxMs, r.ms);
  if (r.timedOut) TALLY.hangs++;
  else if (![0, 1, 2].includes(r.code)) TALLY.crashes++;
  expect(r.timedOut, `${name}: hung`).toBe(false);
  expect([0, 1, 2], `${name}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
  expect(r.stderr, `${name}: stack trace`).not.toContain('\n    at ');
  expect(r.maxRssMb, `${name}: RSS ${r.maxRssMb} MiB`).toBeLessThanOrEqual(RSS_LIMIT_MB);
  if (expected.kind === 'incomplete') {
    expect(r.code, `${name}: exit ${r.code}\n${r.stderr}`).toBe(2);
    expectOneLineError(r, expected.match);
    if (!reportPath) return undefined;
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { coverage?: { complete: boolean }; warnings?: { code: string; message: string }[] };
    expect(report.coverage?.complete, `${name}: coverage`).toBe(false);
    return report;
  }
  if (expected.kind === 'error' || (expected.kind === 'error-or-ok' && r.code === 2)) {
    expectOneLineError(r, expected.kind === 'error' ? expected.match : undefined, expected.kind === 'error' ? expected.lines : undefined);
    return undefined;
  }
  expect([0, 1], `${name}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
  if (!reportPath) return undefined;
  const text = readFileSync(reportPath, 'utf8');
  const report = JSON.parse(text) as { warnings?: { code: string; message: string }[] };
  if (expected.kind === 'warn') {
    const codes = (report.warnings ?? []).map((w) => w.code);
    expect(codes.some((c) => expected.code.test(c)), `${name}: warnings ${codes.join(', ')}`).toBe(true);
  }
  return report;
}

// ---- raw tar and image building (hostile bytes that tar-stream's packer would refuse) ----

export interface RawEntry {
  name: string | Buffer;
  /** tar typeflag: '0' file, '1' hard link, '2' symlink, '5' dir. */
  type?: string;
  linkname?: string | Buffer;
  /** Bytes that follow the header (padded to 512). */
  data?: Buffer;
  /** Size field to declare (default data length). */
  size?: number;
  mode?: number;
}

function field(buf: Buffer, off: number, len: number, value: string | Buffer): void {
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  b.copy(buf, off, 0, Math.min(b.length, len));
}

function octal(n: number, len: number): string {
  return `${n.toString(8).padStart(len - 1, '0')}\0`;
}

/** One ustar header with a correct checksum. Sizes ≥ 8 GiB use the base-256 form. */
export function tarHeader(e: RawEntry): Buffer {
  const h = Buffer.alloc(512, 0);
  field(h, 0, 100, e.name);
  field(h, 100, 8, octal(e.mode ?? 0o644, 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  const size = e.size ?? e.data?.length ?? 0;
  if (size < 8 ** 11) field(h, 124, 12, octal(size, 12));
  else {
    h[124] = 0x80;
    let v = BigInt(size);
    for (let i = 135; i > 124; i--) {
      h[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  field(h, 136, 12, octal(1704067200, 12));
  h.fill(0x20, 148, 156);
  h[156] = (e.type ?? '0').charCodeAt(0);
  if (e.linkname) field(h, 157, 100, e.linkname);
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

export function rawTar(entries: RawEntry[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e));
    if (e.data && e.data.length) {
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPES = { none: 'application/vnd.oci.image.layer.v1.tar', gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd' };

export interface RawLayer {
  /** Stored blob bytes, or a file already holding them (big blobs). */
  blob?: Buffer;
  blobFile?: { path: string; digest: string; size: number };
  /** Digest of the uncompressed tar. */
  diffId: string;
  compression?: keyof typeof LAYER_TYPES;
}

function putBlob(dir: string, data: Buffer | string): { digest: string; size: number } {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const digest = sha256(buf);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), buf);
  return { digest, size: buf.length };
}

/**
 * An OCI layout at `dir` (tag `latest`) with the given stored layers. `configText` replaces the
 * config JSON (deep-nesting cases); `mutateManifest` edits the manifest before it is written.
 */
export function writeRawImage(
  dir: string,
  layers: RawLayer[],
  opts: { configText?: string; mutateManifest?: (m: { layers: { digest: string; size: number; mediaType: string }[] }) => void } = {},
): string {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const descs = layers.map((l) => {
    const mediaType = LAYER_TYPES[l.compression ?? 'none'];
    if (l.blobFile) return { mediaType, digest: l.blobFile.digest, size: l.blobFile.size };
    return { mediaType, ...putBlob(dir, l.blob!) };
  });
  const config =
    opts.configText ??
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
    });
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, ...putBlob(dir, config) }, layers: descs };
  opts.mutateManifest?.(manifest);
  const m = putBlob(dir, JSON.stringify(manifest));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }),
  );
  return `oci:${dir}:latest`;
}

/** A one-layer uncompressed image of `tar`. */
export function imageOfTar(dir: string, tar: Buffer): string {
  return writeRawImage(dir, [{ blob: tar, diffId: sha256(tar) }]);
}

/** JSON nested `depth` arrays deep, with `inner` at the bottom (built as a string, never parsed here). */
export function deepJson(depth: number, inner = '0'): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

/** Prints one clearly marked figures line the docs quote. */
export function figures(suite: string, data: Record<string, unknown>): void {
  console.log(`HARDENING-FIGURES ${suite} ${JSON.stringify(data)}`);
}
