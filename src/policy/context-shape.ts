// The documented fields rules can read, as a tree: `{"var": "severty"}` is a policy error, not a
// rule that silently never matches. Documented in docs/policy.md (keep the two in step).

export type Shape =
  | { kind: 'scalar' }
  | { kind: 'object'; fields: Record<string, Shape> }
  | { kind: 'array'; items: Shape }
  /** Any keys (labels). */
  | { kind: 'map' };

const scalar: Shape = { kind: 'scalar' };
const obj = (fields: Record<string, Shape>): Shape => ({ kind: 'object', fields });
const arr = (items: Shape): Shape => ({ kind: 'array', items });

export const FINDING_SHAPE: Shape = obj({
  id: scalar,
  aliases: arr(scalar),
  ids: arr(scalar),
  severity: scalar,
  severitySource: scalar,
  status: scalar,
  fixAvailable: scalar,
  fixedVersions: arr(scalar),
  cvss: obj({ score: scalar, version: scalar, vector: scalar }),
  kev: scalar,
  kevDueDate: scalar,
  epss: obj({ score: scalar, percentile: scalar }),
  package: obj({ name: scalar, version: scalar, type: scalar, ecosystem: scalar, purl: scalar, path: scalar, sourceName: scalar, dev: scalar }),
  layer: obj({ index: scalar, base: scalar, digest: scalar, createdBy: scalar }),
  publishedAgeDays: scalar,
});

export const IMAGE_SHAPE: Shape = obj({
  user: scalar,
  runsAsRoot: scalar,
  env: arr(obj({ name: scalar, value: scalar })),
  envNames: arr(scalar),
  labels: { kind: 'map' },
  history: arr(scalar),
  repository: scalar,
  registry: scalar,
  tags: arr(scalar),
  base: obj({ name: scalar, digest: scalar, registry: scalar }),
  db: obj({ ageHours: scalar, updatedAt: scalar }),
  os: scalar,
  architecture: scalar,
  exposedPorts: arr(scalar),
  entrypoint: arr(scalar),
  cmd: arr(scalar),
  workingDir: scalar,
});

/** The shape at a dotted path, or a message saying which segment is unknown. */
export function shapeAt(shape: Shape, path: string): Shape | string {
  if (path === '') return shape;
  let s = shape;
  const segments = path.split('.');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (s.kind === 'map') return { kind: 'scalar' };
    if (s.kind === 'array' && /^\d+$/.test(seg)) s = s.items;
    else if (s.kind === 'object' && Object.hasOwn(s.fields, seg)) s = s.fields[seg]!;
    else {
      const known = s.kind === 'object' ? `; known: ${Object.keys(s.fields).join(', ')}` : '';
      return `unknown field "${segments.slice(0, i + 1).join('.')}"${known}`;
    }
  }
  return s;
}
