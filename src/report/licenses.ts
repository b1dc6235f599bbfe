// License strings from package metadata are free text; SPDX/CycloneDX want ids or expressions.
import { createRequire } from 'node:module';
import parseSpdx from 'spdx-expression-parse';

const require = createRequire(import.meta.url);
const LICENSE_IDS: ReadonlySet<string> = new Set(require('spdx-license-ids') as string[]);

/** A listed (non-deprecated) SPDX license id. */
export function isSpdxId(s: string): boolean {
  return LICENSE_IDS.has(s);
}

/** A valid SPDX license expression whose every license is a listed id (no LicenseRef). */
export function isSpdxExpression(s: string): boolean {
  if (s.length > 1000) return false;
  try {
    const walk = (n: parseSpdx.Info): boolean =>
      'license' in n ? LICENSE_IDS.has(n.license) : walk(n.left) && walk(n.right);
    return walk(parseSpdx(s));
  } catch {
    return false;
  }
}
