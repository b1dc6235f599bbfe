// JUnit XML checked with xmllint (Debian libxml2-utils) against the XSDs in ../shared: a subprocess,
// so kept apart from the in-process JSON Schema validators (helpers/schemas.ts).
import { execFileSync } from 'node:child_process';
import { shared } from './shared.js';

let xmllint: boolean | undefined;
/** Whether `xmllint` (Debian libxml2-utils) is installed. */
export function haveXmllint(): boolean {
  if (xmllint === undefined) {
    try {
      execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
      xmllint = true;
    } catch {
      xmllint = false;
    }
  }
  return xmllint;
}

/** Validates an XML file against one of the JUnit XSDs with xmllint; returns its stderr ('' = valid). */
export function validateJunitFile(file: string, xsd: 'JUnit.xsd' | 'jenkins-xunit-junit-10.xsd'): string {
  try {
    execFileSync('xmllint', ['--noout', '--nonet', '--schema', shared('schemas', 'junit', xsd), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err);
  }
}
