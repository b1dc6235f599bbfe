// scripts/release-image.sh cannot push from here; its pinning step runs for real (--pin-only) on
// a scratch git checkout holding marker lines shaped like the Tekton Tasks' and the Dagger module's.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';

const SCRIPT = join(PROJECT_ROOT, 'scripts', 'release-image.sh');
const REF = 'ghcr.io/o/portcullis:1.2.3@sha256:' + 'ab'.repeat(32);

function checkout(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-release-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(SCRIPT, join(dir, 'scripts', 'release-image.sh'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  execFileSync('git', ['init', '-q', dir]);
  execFileSync('git', ['-C', dir, 'add', '.']);
  return dir;
}

describe('scripts/release-image.sh --pin-only', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rewrites the quoted reference on every marker line, and nothing else', () => {
    const yaml = [
      '    - name: PORTCULLIS_IMAGE',
      '      type: string',
      '      default: "ghcr.io/portcullis/portcullis:0.1.0"  # portcullis-image-ref',
      '    - name: OTHER_IMAGE',
      '      default: "quay.io/buildah/stable:v1"',
      '',
    ].join('\n');
    const ts = "export const NODE_IMAGE = 'node:20';\nexport const PORTCULLIS_IMAGE = 'ghcr.io/portcullis/portcullis:0.1.0'; // portcullis-image-ref\n";
    dir = checkout({ 'tekton/task-scan.yaml': yaml, 'src/index.ts': ts, 'docs/x.md': 'say `portcullis-image-ref` "not me"\n' });
    const r = spawnSync('bash', [join(dir, 'scripts', 'release-image.sh'), '--pin-only', REF], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'tekton/task-scan.yaml'), 'utf8')).toBe(yaml.replace('ghcr.io/portcullis/portcullis:0.1.0', REF));
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toBe(ts.replace("'ghcr.io/portcullis/portcullis:0.1.0'", `'${REF}'`));
    expect(readFileSync(join(dir, 'docs/x.md'), 'utf8')).toContain('"not me"');
    expect(r.stdout).toContain('tekton/task-scan.yaml');
  });

  it('fails when no line carries the marker (a release never pins nothing)', () => {
    dir = checkout({ 'tekton/task-scan.yaml': 'default: "ghcr.io/portcullis/portcullis:0.1.0"\n' });
    const r = spawnSync('bash', [join(dir, 'scripts', 'release-image.sh'), '--pin-only', REF], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no line carries the marker portcullis-image-ref/);
  });
});
