// What GitLab's container-scanning report schema (security-report-schemas 15.2.1) requires, written
// out as checks, for where the schema file itself is not at hand. Learned from the schema; each
// check names the rule it stands for. Returns the broken rules ([] = the facts hold).
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const URL = /^(https?|ftp):\/\/.+/;
const HTTP_URL = /^https?:\/\/.+/;
const SEVERITIES = ['Info', 'Unknown', 'Low', 'Medium', 'High', 'Critical'];

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length >= 1;

export function gitlabFactErrors(doc: unknown): string[] {
  const errs: string[] = [];
  const need = (ok: boolean, rule: string) => {
    if (!ok) errs.push(rule);
  };
  if (!isObj(doc)) return ['report is an object'];
  for (const k of ['scan', 'version', 'vulnerabilities']) need(k in doc, `required: ${k}`);
  need(typeof doc.version === 'string' && /^[0-9]+\.[0-9]+\.[0-9]+$/.test(doc.version), 'version is MAJOR.MINOR.PATCH');
  need(doc.version?.startsWith?.('15.') === true, 'version is of model 15');
  if ('schema' in doc) need(typeof doc.schema === 'string' && HTTP_URL.test(doc.schema), 'schema is an http(s) URL');

  const scan = doc.scan;
  if (!isObj(scan)) return [...errs, 'scan is an object'];
  for (const k of ['analyzer', 'end_time', 'scanner', 'start_time', 'status', 'type']) need(k in scan, `required: scan.${k}`);
  need(TIME.test(scan.start_time) && TIME.test(scan.end_time), 'scan times are YYYY-MM-DDThh:mm:ss');
  need(['success', 'failure'].includes(scan.status), 'scan.status is success|failure');
  need(['container_scanning', 'container_scanning_for_registry'].includes(scan.type), 'scan.type is container_scanning');
  for (const who of ['analyzer', 'scanner']) {
    const t = scan[who];
    need(isObj(t) && ['id', 'name', 'version'].every((k) => nonEmpty(t[k])) && isObj(t.vendor) && nonEmpty(t.vendor.name), `scan.${who} has id, name, version, vendor.name`);
  }
  if (isObj(scan.analyzer) && 'url' in scan.analyzer) need(HTTP_URL.test(scan.analyzer.url), 'scan.analyzer.url is http(s)');
  if ('messages' in scan) {
    need(Array.isArray(scan.messages), 'scan.messages is an array');
    for (const m of scan.messages ?? []) need(isObj(m) && ['info', 'warn', 'fatal'].includes(m.level) && nonEmpty(m.value), 'message has level info|warn|fatal and a value');
  }

  if (!Array.isArray(doc.vulnerabilities)) return [...errs, 'vulnerabilities is an array'];
  for (const v of doc.vulnerabilities as unknown[]) {
    if (!isObj(v)) {
      errs.push('vulnerability is an object');
      continue;
    }
    need(nonEmpty(v.id), 'vulnerability.id is a non-empty string');
    if ('name' in v) need(typeof v.name === 'string' && v.name.length <= 255, 'name <= 255');
    if ('description' in v) need(typeof v.description === 'string' && v.description.length <= 1_048_576, 'description <= 1 MiB');
    if ('solution' in v) need(typeof v.solution === 'string' && v.solution.length <= 7000, 'solution <= 7000');
    if ('severity' in v) need(SEVERITIES.includes(v.severity), 'severity in the enum');
    need(Array.isArray(v.identifiers) && v.identifiers.length >= 1, 'identifiers: at least one');
    for (const i of v.identifiers ?? []) {
      need(isObj(i) && nonEmpty(i.type) && nonEmpty(i.name) && nonEmpty(i.value), 'identifier has type, name, value');
      if (isObj(i) && 'url' in i) need(URL.test(i.url), 'identifier.url is http(s)/ftp');
    }
    if ('cvss_vectors' in v) {
      need(Array.isArray(v.cvss_vectors) && v.cvss_vectors.length >= 1 && v.cvss_vectors.length <= 10, 'cvss_vectors: 1..10');
      for (const c of v.cvss_vectors ?? []) {
        const v3 = typeof c?.vector === 'string' && /^CVSS:3[.][01]\//.test(c.vector);
        need(nonEmpty(c?.vendor) && typeof c?.vector === 'string' && c.vector.length <= 128 && c.vector.length >= (v3 ? 32 : 16), 'cvss vector: vendor, length');
        need(typeof c?.vector === 'string' && !c.vector.startsWith('CVSS:4'), 'cvss vector: v2 or v3.x only');
      }
    }
    for (const l of v.links ?? []) need(isObj(l) && URL.test(l.url), 'link.url is http(s)/ftp');
    for (const f of v.flags ?? []) need(isObj(f) && f.type === 'flagged-as-likely-false-positive' && nonEmpty(f.origin) && nonEmpty(f.description), 'flag shape');
    if ('details' in v) {
      need(isObj(v.details), 'details is a named-list items object');
      for (const d of Object.values(v.details ?? {})) need(isObj(d) && nonEmpty(d.name) && typeof d.type === 'string', 'detail has name and type');
    }
    const loc = v.location;
    need(isObj(loc), 'location is an object');
    if (isObj(loc)) {
      need(isObj(loc.dependency) && isObj(loc.dependency.package) && typeof loc.dependency.package.name === 'string' && typeof loc.dependency.version === 'string', 'location.dependency {package{name}, version}');
      need(nonEmpty(loc.operating_system), 'location.operating_system non-empty');
      need(nonEmpty(loc.image), 'location.image non-empty');
      if ('default_branch_image' in loc) need(typeof loc.default_branch_image === 'string' && loc.default_branch_image.length <= 255, 'default_branch_image <= 255');
    }
  }
  for (const r of doc.remediations ?? []) need(isObj(r) && Array.isArray(r.fixes) && nonEmpty(r.summary) && nonEmpty(r.diff), 'remediation has fixes, summary, diff');
  return [...new Set(errs)];
}
