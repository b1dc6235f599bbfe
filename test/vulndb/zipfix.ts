// Test helpers: OSV all.zip archives built with yazl, and a local HTTP server with scripted faults.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { zipOf } from '../helpers/zip.js';

export function osvRecord(id: string, ecosystem: string, name: string, fixed: string, modified = '2024-01-01T00:00:00Z') {
  return { id, modified, affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }] };
}

export function buildZip(records: object[]): Promise<Buffer> {
  return zipOf(records.map((r) => ({ name: `${(r as { id: string }).id}.json`, data: Buffer.from(JSON.stringify(r)) })));
}

export type Behaviour = 'ok' | '429-once' | '503' | 'truncate' | 'bad-md5' | 'stall' | '404';

export interface FaultServer {
  url: string;
  /** What the server answers under /<mode>/<ecosystem>/all.zip. */
  files: Map<string, Buffer>;
  hits: Map<string, number>;
  statuses: string[];
  /** Sent as Last-Modified with every 200 and 304 when set. */
  lastModified?: string;
  /** Resolves when a stalled body has started. */
  stalled: Promise<void>;
  close(): Promise<void>;
}

export async function startFaultServer(): Promise<FaultServer> {
  const files = new Map<string, Buffer>();
  const hits = new Map<string, number>();
  const statuses: string[] = [];
  let markStalled!: () => void;
  const stalled = new Promise<void>((r) => (markStalled = r));
  const open = new Set<ServerResponse>();
  const state: { lastModified?: string } = {};
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const lm: Record<string, string> = state.lastModified ? { 'last-modified': state.lastModified } : {};
    const [, mode, eco] = decodeURIComponent(req.url ?? '').split('/') as [string, Behaviour, string];
    const key = `${mode}/${eco}`;
    const n = (hits.get(key) ?? 0) + 1;
    hits.set(key, n);
    const body = files.get(eco);
    const answer = (status: number) => statuses.push(`${key} ${status}`);
    if (!body || mode === '404') {
      answer(404);
      res.writeHead(404).end();
      return;
    }
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    const md5 = createHash('md5').update(mode === 'bad-md5' ? Buffer.from('other') : body).digest('base64');
    if (mode === '503' || (mode === '429-once' && n === 1)) {
      const s = mode === '503' ? 503 : 429;
      answer(s);
      res.writeHead(s, { 'retry-after': '0' }).end();
      return;
    }
    if (req.headers['if-none-match'] === etag) {
      answer(304);
      res.writeHead(304, { etag, ...lm }).end();
      return;
    }
    answer(200);
    res.writeHead(200, { etag, ...lm, 'content-length': body.length, 'content-type': 'application/zip', 'x-goog-hash': `crc32c=AAAAAA==,md5=${md5}` });
    if (mode === 'truncate') {
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    } else if (mode === 'stall') {
      open.add(res);
      res.write(body.subarray(0, 100), () => markStalled());
    } else {
      res.end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get lastModified() {
      return state.lastModified;
    },
    set lastModified(v: string | undefined) {
      state.lastModified = v;
    },
    files,
    hits,
    statuses,
    stalled,
    close: () =>
      new Promise<void>((r) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
