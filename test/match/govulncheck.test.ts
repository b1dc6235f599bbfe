// Differential test of the Go platform filter against govulncheck (Debian's package). One program
// built with Debian's golang-go for linux/amd64, windows/amd64 and linux/ppc64le; every real stdlib
// record of the Go vulndb, served to govulncheck from a local database. That govulncheck analyses
// symbols, which portcullis (module level, like `-scan module`) does not, so each record's imports
// are pointed at `runtime` (in every binary) with no symbol list: what govulncheck then reports is
// exactly its module-level decision — version in range and import platform matching the binary's
// GOOS/GOARCH. Both must report the same records for each binary.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { goBinaryCataloger } from '../../src/inventory/lang/index.js';
import { matchPackages } from '../../src/match/matcher.js';
import type { OsvRecord } from '../../src/model/osv.js';
import { cachedFixture } from '../fixtures/cache.js';
import { run, walkedFromDisk } from '../inventory/lang/helpers.js';
import { memorySource } from '../helpers/memory-source.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';

const THIS = fileURLToPath(import.meta.url);
const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const present = HAVE_SHARED && have('go', ['version']) && have('govulncheck', ['-h']);
if (!present && process.env.CI) it('go and govulncheck are installed (required in CI)', () => expect.fail('go or govulncheck is missing'));
if (!present) console.warn('[portcullis tests] go, govulncheck or ../shared is missing: the govulncheck differential is skipped');

const PLATFORMS: [string, string][] = [['linux', 'amd64'], ['windows', 'amd64'], ['linux', 'ppc64le']];
const MAIN = `package main

import (
\t"crypto/elliptic"
\t"crypto/rand"
\t"fmt"
\t"os"
)

func main() {
\t_, x, _, err := elliptic.GenerateKey(elliptic.P256(), rand.Reader)
\tf, err2 := os.Open(os.Args[0])
\tfmt.Println(x != nil, err, f != nil, err2)
}
`;

describe.skipIf(!present)('Go platform filter vs govulncheck (module level)', () => {
  it('reports the same stdlib records as govulncheck for linux/amd64, windows/amd64 and linux/ppc64le binaries', async () => {
    const dir = await cachedFixture('go-platform-binaries', [THIS], async (d) => {
      mkdirSync(join(d, 'src'));
      writeFileSync(join(d, 'src/go.mod'), 'module example.com/platforms\n\ngo 1.19\n');
      writeFileSync(join(d, 'src/main.go'), MAIN);
      for (const [os, arch] of PLATFORMS) {
        const env = { ...process.env, GOOS: os, GOARCH: arch, CGO_ENABLED: '0', GOPROXY: 'off', GOFLAGS: '', GOCACHE: join(d, 'cache'), GOTOOLCHAIN: 'local' };
        execFileSync('go', ['build', '-o', join(d, `app-${os}-${arch}`), '.'], { cwd: join(d, 'src'), env });
      }
    });

    const goDir = shared('data', 'osv', 'go-vulndb');
    const records = readdirSync(goDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(goDir, f), 'utf8')) as OsvRecord)
      .filter((r) => (r.affected ?? []).some((a) => a.package?.name === 'stdlib'));
    expect(records.length).toBeGreaterThan(100);
    const platformOnly = records.filter((r) => (r.affected ?? []).some((a) => JSON.stringify(a.ecosystem_specific ?? {}).match(/"go(os|arch)"/)));
    expect(platformOnly.length).toBeGreaterThan(10);

    // govulncheck's (pre-1.0) file database: index.json, <module>.json, ID/<id>.json.
    const db = mkdtempSync(join(tmpdir(), 'portcullis-govulndb-'));
    mkdirSync(join(db, 'ID'));
    const moduleLevel = records.map((r) => {
      const copy = JSON.parse(JSON.stringify(r)) as OsvRecord;
      for (const a of copy.affected ?? []) {
        const imports = (a.ecosystem_specific?.imports ?? []) as { path?: string; symbols?: string[] }[];
        for (const i of imports) {
          i.path = 'runtime';
          delete i.symbols;
        }
      }
      writeFileSync(join(db, 'ID', `${copy.id}.json`), JSON.stringify(copy));
      return copy;
    });
    writeFileSync(join(db, 'stdlib.json'), JSON.stringify(moduleLevel));
    writeFileSync(join(db, 'index.json'), JSON.stringify({ stdlib: '2030-01-01T00:00:00Z' }));

    const source = memorySource(records);
    const seen: Record<string, number> = {};
    for (const [os, arch] of PLATFORMS) {
      const bin = join(dir, `app-${os}-${arch}`);
      const out = execFileSync('govulncheck', ['-json', bin], { env: { ...process.env, GOVULNDB: `file://${db}` }, encoding: 'utf8', maxBuffer: 1 << 26 });
      const theirs = ((JSON.parse(out) as { Vulns: { OSV: { id: string } }[] | null }).Vulns ?? []).map((v) => v.OSV.id).sort();
      const { packages, warnings } = await run(goBinaryCataloger, [walkedFromDisk(`/usr/local/bin/app-${os}-${arch}`, bin)]);
      expect(warnings).toEqual([]);
      const stdlib = packages.filter((p) => p.name === 'stdlib');
      expect(stdlib.map((p) => p.platform)).toEqual([{ os, arch }]);
      const ours = [...new Set((await matchPackages(stdlib, source)).findings.flatMap((f) => f.records))].sort();
      expect([`${os}/${arch}`, ours]).toEqual([`${os}/${arch}`, theirs]);
      seen[`${os}/${arch}`] = ours.length;
    }
    // The filter did something: each platform lost or kept records the others did not.
    expect(new Set(Object.values(seen)).size).toBeGreaterThan(1);
  }, 300_000);
});
