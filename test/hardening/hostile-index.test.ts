// Hostile image metadata through the real CLI: nested OCI indexes that fan out (the same child
// again and again at every level, or thousands of distinct entries), in an OCI layout, an
// oci-archive and a real registry (docker-registry); and registries that drip or stall across
// many requests, bounded by --timeout as a whole. Each ends in bounded time and memory, with one
// clear line when it is an error.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_OS_RELEASE, dpkgStanza, suiteDb } from './fixtures.js';
import { judge, rawTar, runCli, sandbox, sha256, writeRawImage, type Expected, type RunResult, type Sandbox } from './harness.js';
import { pushRaw, startRegistry, type RunningRegistry } from '../registry/harness.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const REF_NAME = 'org.opencontainers.image.ref.name';
// Time: the harness kills a case after 60 s (a hang) and its RSS limit is 300 MiB. Registry
// cases are also compared with a control run of the same CLI that fails at once (connection
// refused): the case may take its --timeout plus a generous margin more, never the minutes the
// hostile server would otherwise hold it.
const MARGIN_MS = 15_000;
const seen: Record<string, unknown> = {};

interface Blob {
  digest: string;
  size: number;
  data: Buffer;
}

function blobOf(data: Buffer | string): Blob {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return { digest: sha256(buf), size: buf.length, data: buf };
}

/** A one-layer Debian-like image written by the harness (layout at `dir`); its manifest and blobs. */
function baseImage(dir: string): { manifest: Blob; blobs: Blob[] } {
  const t = rawTar([
    { name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) },
    { name: 'var/lib/dpkg/status', data: Buffer.from(dpkgStanza('hello', '2.0-1')) },
  ]);
  writeRawImage(dir, [{ blob: t, diffId: sha256(t) }]);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const read = (digest: string): Blob => blobOf(readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7))));
  const manifest = read(index.manifests[0]!.digest);
  const m = JSON.parse(manifest.data.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  return { manifest, blobs: [read(m.config.digest), ...m.layers.map((l) => read(l.digest))] };
}

function indexOf(children: { digest: string; size: number; mediaType: string }[], platform = true): Blob {
  return blobOf(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children.map((c) => ({ ...c, ...(platform && c.mediaType === OCI_MANIFEST ? { platform: { os: 'linux', architecture: 'amd64' } } : {}) })),
    }),
  );
}

/**
 * The fan-out bomb: `levels` indexes, each listing the next one `fanout` times (the last lists
 * the image manifest `fanout` times). Walked naively it is fanout^levels entries.
 */
function fanoutBomb(manifest: Blob, levels: number, fanout: number): Blob[] {
  const chain: Blob[] = [];
  let child = { digest: manifest.digest, size: manifest.size, mediaType: OCI_MANIFEST };
  for (let i = 0; i < levels; i++) {
    const idx = indexOf(Array.from({ length: fanout }, () => child));
    chain.unshift(idx);
    child = { digest: idx.digest, size: idx.size, mediaType: OCI_INDEX };
  }
  return chain; // chain[0] is the top
}

function putBlob(dir: string, b: Blob): void {
  writeFileSync(join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.data);
}

/** Replaces the layout's index.json with one entry (tag `latest`) pointing at `top`. */
function tagTop(dir: string, top: Blob): void {
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_INDEX, digest: top.digest, size: top.size, annotations: { [REF_NAME]: 'latest' } }] }),
  );
}

const SCAN_TAIL = (db: string, out: string) => ['--offline', '--db', db, '--skip-db-age-check', '--policy', 'none', '--quiet', '--format', `json=${out}`];

async function scanCase(name: string, sb: Sandbox, image: string, db: string, expected: Expected, extra: string[] = []): Promise<RunResult> {
  const out = join(sb.out, 'report.json');
  const r = await runCli(['scan', image, ...SCAN_TAIL(db, out), ...extra], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
  judge(name, r, expected, r.code === 2 ? undefined : out);
  seen[name] = { code: r.code, ms: r.ms, maxRssMb: Math.round(r.maxRssMb), stderr: r.stderr.trim().slice(0, 160) };
  return r;
}

/** The report found the image's one package: the bomb was walked to the real image. */
function foundHello(sb: Sandbox): void {
  const report = JSON.parse(readFileSync(join(sb.out, 'report.json'), 'utf8')) as { packages: { name: string }[] };
  expect(report.packages.map((p) => p.name)).toContain('hello');
}

describe('nested OCI indexes that fan out', () => {
  const db = suiteDb('hostile-index', () => ({ ...seen }));

  it('an OCI layout: 4 levels × the same child 1,000 times (10^12 paths) is read as one image', async () => {
    const sb = sandbox();
    try {
      const { manifest } = baseImage(sb.input);
      const chain = fanoutBomb(manifest, 4, 1000);
      chain.forEach((b) => putBlob(sb.input, b));
      tagTop(sb.input, chain[0]!);
      const r = await scanCase('layout fan-out 1000^4', sb, `oci:${sb.input}:latest`, db.db, { kind: 'ok' });
      expect(r.code).toBe(0);
      foundHello(sb);
    } finally {
      sb.cleanup();
    }
  }, 90_000);

  it('an OCI layout, selected by digest through the same bomb', async () => {
    const sb = sandbox();
    try {
      const { manifest } = baseImage(sb.input);
      const chain = fanoutBomb(manifest, 4, 1000);
      chain.forEach((b) => putBlob(sb.input, b));
      tagTop(sb.input, chain[0]!);
      // A digest that is nowhere: every index must be searched, each once.
      const absent = sha256('absent');
      await scanCase('layout fan-out, absent digest', sb, `oci:${sb.input}@${absent}`, db.db, { kind: 'error', match: /no manifest or index with digest/ });
      const r = await scanCase('layout fan-out, by digest', sb, `oci:${sb.input}@${manifest.digest}`, db.db, { kind: 'ok' });
      expect(r.code).toBe(0);
    } finally {
      sb.cleanup();
    }
  }, 90_000);

  it('an oci-archive holding the bomb', async () => {
    const sb = sandbox();
    try {
      const layout = join(sb.root, 'layout');
      execFileSync('mkdir', ['-p', layout]);
      const { manifest } = baseImage(layout);
      const chain = fanoutBomb(manifest, 4, 1000);
      chain.forEach((b) => putBlob(layout, b));
      tagTop(layout, chain[0]!);
      const tar = join(sb.input, 'bomb.tar');
      execFileSync('tar', ['-cf', tar, '-C', layout, '.']);
      execFileSync('rm', ['-rf', layout]);
      const r = await scanCase('oci-archive fan-out 1000^4', sb, `oci-archive:${tar}:latest`, db.db, { kind: 'ok' });
      expect(r.code).toBe(0);
      foundHello(sb);
    } finally {
      sb.cleanup();
    }
  }, 90_000);

  it('thousands of distinct image manifests under one index: refused at the candidate cap', async () => {
    const sb = sandbox();
    try {
      const { manifest } = baseImage(sb.input);
      const m = JSON.parse(manifest.data.toString('utf8')) as Record<string, unknown>;
      // 3,000 distinct manifests (one annotation differs), no platform in the descriptors, so a
      // naive selection would read every one's config to learn its platform.
      const kids = Array.from({ length: 3000 }, (_, i) => {
        const b = blobOf(JSON.stringify({ ...m, annotations: { n: String(i) } }));
        putBlob(sb.input, b);
        return { digest: b.digest, size: b.size, mediaType: OCI_MANIFEST };
      });
      const top = indexOf(kids, false);
      putBlob(sb.input, top);
      tagTop(sb.input, top);
      await scanCase('layout 3,000 distinct manifests', sb, `oci:${sb.input}:latest`, db.db, { kind: 'error', match: /more than 1024 image manifests; refusing it as hostile/ });
    } finally {
      sb.cleanup();
    }
  }, 90_000);

  describe('in a real registry (docker-registry)', () => {
    let registry: RunningRegistry | undefined;
    beforeAll(async () => {
      registry = await startRegistry();
    }, 60_000);
    afterAll(async () => {
      await registry?.stop();
    });

    it('the same bomb pushed to a registry: each index fetched once, read as one image', async () => {
      const sb = sandbox();
      try {
        const { manifest, blobs } = baseImage(sb.input);
        const chain = fanoutBomb(manifest, 4, 1000);
        const host = registry!.host;
        await pushRaw(host, 'bomb/app', manifest.digest, blobs.map((b) => b.data), manifest.data, OCI_MANIFEST);
        for (let i = chain.length - 1; i >= 1; i--) await pushRaw(host, 'bomb/app', chain[i]!.digest, [], chain[i]!.data, OCI_INDEX);
        await pushRaw(host, 'bomb/app', 'v1', [], chain[0]!.data, OCI_INDEX);
        const r = await scanCase('registry fan-out 1000^4', sb, `${host}/bomb/app:v1`, db.db, { kind: 'ok' }, ['--timeout', '60s']);
        expect(r.code).toBe(0);
        foundHello(sb);
      } finally {
        sb.cleanup();
      }
    }, 120_000);
  });
});

// ---- registries that drip or stall --------------------------------------------------------------

interface Hostile {
  host: string;
  requests: number;
  stop(): Promise<void>;
}

/**
 * A registry on 127.0.0.1 that answers every manifest request slowly: `delayMs` before the
 * headers, then the body one byte every `dripMs`. Each request stays under the client's idle
 * timeout (30 s); only the overall --timeout can end the resolution.
 */
async function slowRegistry(content: Map<string, Blob & { mediaType: string }>, tag: string, opts: { delayMs: number; dripMs: number }): Promise<Hostile> {
  const state = { requests: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    const url = req.url ?? '';
    if (url === '/v2/' || url === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url);
    const ref = m?.[3] === tag ? [...content.values()][0]!.digest : m?.[3];
    const item = ref ? content.get(ref) : undefined;
    if (!item) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
      return;
    }
    later(opts.delayMs, () => {
      res.writeHead(200, { 'content-type': item.mediaType, 'content-length': String(item.size), 'docker-content-digest': item.digest });
      let i = 0;
      const drip = () => {
        if (res.destroyed) return;
        if (i >= item.data.length) {
          res.end();
          return;
        }
        res.write(item.data.subarray(i, i + 1));
        i++;
        later(opts.dripMs, drip);
      };
      if (opts.dripMs === 0) res.end(item.data);
      else drip();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('--timeout bounds the whole registry resolution', () => {
  const db = suiteDb('hostile-registry', () => ({ ...seen }));
  let controlMs = 0;

  beforeAll(async () => {
    // The same CLI against a port nobody listens on: start-up plus an immediate failure.
    const sb = sandbox();
    try {
      const r = await runCli(['scan', '127.0.0.1:9/none/app:v1', ...SCAN_TAIL(db.db, join(sb.out, 'r.json')), '--timeout', '3s'], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(2);
      controlMs = r.ms;
      seen.controlMs = r.ms;
    } finally {
      sb.cleanup();
    }
  }, 90_000);

  const withinTimeout = (r: RunResult, timeoutMs: number) => expect(r.ms, `${r.ms} ms against a control of ${controlMs} ms`).toBeLessThan(controlMs + timeoutMs + MARGIN_MS);

  it('a credential helper that never answers is stopped by --timeout (its own limit is 30 s)', async () => {
    const sb = sandbox();
    const dir = join(sb.root, 'img');
    execFileSync('mkdir', ['-p', dir, join(sb.root, 'bin'), join(sb.root, 'docker')]);
    const { manifest } = baseImage(dir);
    const top = indexOf([{ digest: manifest.digest, size: manifest.size, mediaType: OCI_MANIFEST }]);
    const reg = await slowRegistry(new Map([[top.digest, { ...top, mediaType: OCI_INDEX }]]), 'v1', { delayMs: 0, dripMs: 0 });
    // `exec`: the helper is the sleeping process itself; a real hung helper looks the same.
    writeFileSync(join(sb.root, 'bin', 'docker-credential-hang'), '#!/bin/sh\nexec sleep 120\n', { mode: 0o755 });
    writeFileSync(join(sb.root, 'docker', 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'hang' } }));
    try {
      const out = join(sb.out, 'report.json');
      const r = await runCli(['scan', `${reg.host}/helper/app:v1`, ...SCAN_TAIL(db.db, out), '--timeout', '3s'], {
        cwd: sb.cwd,
        env: { ...sb.env, PATH: `${join(sb.root, 'bin')}:${process.env.PATH}`, DOCKER_CONFIG: join(sb.root, 'docker') },
        timeoutMs: 60_000,
      });
      judge('credential helper hangs, --timeout 3s', r, { kind: 'error', match: /credential helper docker-credential-hang gave up: overall timeout exceeded \(--timeout\)/ });
      withinTimeout(r, 3_000);
      seen['credential helper hangs, --timeout 3s'] = { code: r.code, ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
    } finally {
      await reg.stop();
      sb.cleanup();
    }
  }, 90_000);

  it('a manifest body dripped one byte every 150 ms (each chunk well inside the idle timeout)', async () => {
    const sb = sandbox();
    const dir = join(sb.root, 'img');
    execFileSync('mkdir', ['-p', dir]);
    const { manifest } = baseImage(dir);
    // The top index, dripped: ~300 bytes at 150 ms each is ~45 s.
    const top = indexOf([{ digest: manifest.digest, size: manifest.size, mediaType: OCI_MANIFEST }]);
    const reg = await slowRegistry(new Map([[top.digest, { ...top, mediaType: OCI_INDEX }]]), 'v1', { delayMs: 0, dripMs: 150 });
    try {
      const r = await scanCase('registry drip, --timeout 3s', sb, `${reg.host}/drip/app:v1`, db.db, { kind: 'error', match: /timeout|timed out/ }, ['--timeout', '3s']);
      withinTimeout(r, 3_000);
    } finally {
      await reg.stop();
      sb.cleanup();
    }
  }, 90_000);

  it('an index of 200 distinct children, each answered after 700 ms: many requests, each fast enough', async () => {
    const sb = sandbox();
    const dir = join(sb.root, 'img');
    execFileSync('mkdir', ['-p', dir]);
    const { manifest } = baseImage(dir);
    const content = new Map<string, Blob & { mediaType: string }>();
    const kids = Array.from({ length: 200 }, (_, i) => {
      const b = blobOf(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: manifest.digest, size: manifest.size, annotations: { n: String(i) } }] }));
      return b;
    });
    const top = indexOf(kids.map((k) => ({ digest: k.digest, size: k.size, mediaType: OCI_INDEX })));
    content.set(top.digest, { ...top, mediaType: OCI_INDEX });
    for (const k of kids) content.set(k.digest, { ...k, mediaType: OCI_INDEX });
    content.set(manifest.digest, { ...manifest, mediaType: OCI_MANIFEST });
    const reg = await slowRegistry(content, 'v1', { delayMs: 700, dripMs: 0 });
    try {
      const r = await scanCase('registry stall x200, --timeout 4s', sb, `${reg.host}/stall/app:v1`, db.db, { kind: 'error', match: /timeout|timed out/ }, ['--timeout', '4s']);
      withinTimeout(r, 4_000);
      // Stopped after a handful of the 200 requests (140 s of answers).
      expect(reg.requests).toBeLessThan(50);
      seen.stallRequests = reg.requests;
    } finally {
      await reg.stop();
      sb.cleanup();
    }
  }, 90_000);
});
