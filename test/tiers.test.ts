import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heavyReason, unitTestFiles } from './tiers.js';
import { PROJECT_ROOT } from './helpers/shared.js';

describe('test tiers', () => {
  const unit = unitTestFiles(PROJECT_ROOT);
  it('the unit tier holds the in-process suites and none that spawn, browse, serve or build images', () => {
    expect(unit).toContain('test/match/accuracy.test.ts');
    expect(unit).toContain('test/tiers.test.ts');
    for (const heavy of ['test/match/govulncheck.test.ts', 'test/report/html.test.ts', 'test/vulndb/server.test.ts', 'test/scan/debian-e2e.test.ts', 'test/policy/cli.test.ts']) {
      expect(unit).not.toContain(heavy);
    }
  });

  it('follows test helpers: a file is heavy when a helper it imports is', () => {
    expect(heavyReason(join(PROJECT_ROOT, 'test/policy/cli.test.ts'), join(PROJECT_ROOT, 'test'))).toMatch(/^helpers\/cli\.ts: .*child_process/);
    expect(heavyReason(join(PROJECT_ROOT, 'test/report/schemas.test.ts'), join(PROJECT_ROOT, 'test'))).toBeUndefined();
  });
});
