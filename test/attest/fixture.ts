// Real inputs for the attestation tests: a small OCI layout image (test/registry/images.ts), a DB
// imported by `portcullis db import` from one OSV record, policies (the shipped default and a
// block-everything one), and keys made with node:crypto.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../helpers/cli.js';

export interface KeyFiles {
  privatePath: string;
  publicPath: string;
  privatePem: string;
  publicKey: KeyObject;
}

export function writeKeyPair(dir: string, name: string, kind: 'ec' | 'ed25519'): KeyFiles {
  const pair = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const privatePath = join(dir, `${name}.key`);
  const publicPath = join(dir, `${name}.pub`);
  writeFileSync(privatePath, privatePem, { mode: 0o600 });
  writeFileSync(publicPath, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return { privatePath, publicPath, privatePem, publicKey: pair.publicKey };
}

/** A DB holding one Debian:12 record for glibc (LOW urgency: the default policy warns, never blocks) and a KEV catalog. */
export async function importDb(dir: string): Promise<string> {
  const records = join(dir, 'records');
  mkdirSync(records, { recursive: true });
  writeFileSync(
    join(records, 'glibc.json'),
    JSON.stringify({
      id: 'DEBIAN-CVE-2019-1010022',
      upstream: ['CVE-2019-1010022'],
      // Recent: a DB is as old as its data, and a stale one fails the scan.
      modified: new Date(Date.now() - 24 * 3_600_000).toISOString(),
      affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'unimportant' } }],
    }),
  );
  // A KEV catalog (CISA's feed format, one made-up entry): the default policy reads `kev`, and a DB
  // without KEV data cannot stand for a real one.
  const now = new Date().toISOString();
  const kev = join(dir, 'kev.json');
  writeFileSync(
    kev,
    JSON.stringify({
      title: 'CISA Catalog of Known Exploited Vulnerabilities',
      catalogVersion: now.slice(0, 10),
      dateReleased: now,
      count: 1,
      vulnerabilities: [
        { cveID: 'CVE-2021-44228', vendorProject: 'Test', product: 'test', vulnerabilityName: 'test entry', dateAdded: '2021-12-10', shortDescription: 'test entry', requiredAction: 'Apply updates', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Unknown', notes: '' },
      ],
    }),
  );
  const db = join(dir, 'db.sqlite');
  const r = await runCli(['db', 'import', '--db', db, records, kev]);
  expect(r.code, r.stderr).toBe(0);
  return db;
}

/** A policy that blocks every finding and every image (a FAILED verdict whatever the image holds). */
export function writeBlockAllPolicy(dir: string): string {
  const path = join(dir, 'block-all.yaml');
  writeFileSync(
    path,
    ['apiVersion: portcullis.dev/v1', 'kind: Policy', 'metadata:', '  name: block-all', 'spec:', '  rules:', '    - id: block-everything', '      action: block', '      when: true', '  image:', '    - id: block-image', '      action: block', '      when: true', ''].join('\n'),
  );
  return path;
}
