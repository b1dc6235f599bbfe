// in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md):
// binds a typed predicate to subjects named by digest.
import { isDigest } from '../image/digest.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** in-toto ResourceDescriptor (the fields portcullis writes or reads). */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  mediaType?: string;
  annotations?: Record<string, unknown>;
}

export interface Statement<P = Record<string, unknown>> {
  _type: typeof STATEMENT_TYPE;
  subject: ResourceDescriptor[];
  predicateType: string;
  predicate: P;
}

/** `sha256:abc…` → `{ sha256: 'abc…' }` (the DigestSet form). */
export function digestSet(digest: string): Record<string, string> {
  if (!isDigest(digest)) throw new Error(`not a digest: ${digest}`);
  const i = digest.indexOf(':');
  return { [digest.slice(0, i)]: digest.slice(i + 1) };
}

/** The image as a Statement subject: its name (registry/repository) and manifest digest. */
export function imageSubject(name: string, manifestDigest: string): ResourceDescriptor {
  return { name, digest: digestSet(manifestDigest) };
}

export function makeStatement<P>(subject: ResourceDescriptor[], predicateType: string, predicate: P): Statement<P> {
  return { _type: STATEMENT_TYPE, subject, predicateType, predicate };
}

/** Whether a subject's digest set names `digest` (`sha256:…`), by the algorithm of `digest`. */
export function subjectMatches(subject: ResourceDescriptor, digest: string): boolean {
  const i = digest.indexOf(':');
  return subject.digest?.[digest.slice(0, i)] === digest.slice(i + 1);
}

/** Shape-checks a parsed payload as a Statement v1; a one-line problem or undefined. */
export function statementProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the payload is not a JSON object';
  const s = v as Record<string, unknown>;
  if (s._type !== STATEMENT_TYPE) return `the payload is not an in-toto Statement v1 (_type ${JSON.stringify(s._type)?.slice(0, 80)})`;
  if (!Array.isArray(s.subject) || s.subject.length === 0) return 'the statement has no subject';
  for (const sub of s.subject) {
    const d = (sub as ResourceDescriptor | null)?.digest;
    if (typeof d !== 'object' || d === null || Object.keys(d).length === 0 || !Object.values(d).every((x) => typeof x === 'string')) {
      return 'a subject has no digest';
    }
  }
  if (typeof s.predicateType !== 'string' || s.predicateType === '') return 'the statement has no predicateType';
  if (typeof s.predicate !== 'object' || s.predicate === null || Array.isArray(s.predicate)) return 'the statement has no predicate object';
  return undefined;
}
