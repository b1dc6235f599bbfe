// The full names a short image name may be stored under, in the order podman and buildah resolve
// them for local images: as given, under `localhost/`, then under Docker Hub's spelling.
// `app` means `app:latest`; a name with `@sha256:…` is matched with its digest kept.

/** Docker's rule: the first part is a registry host when it has `.` or `:`, or is `localhost`. */
function hasHost(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash < 0) return false;
  const first = name.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

export function candidateNames(name: string): string[] {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const lastSlash = base.lastIndexOf('/');
  const tagged = at >= 0 || base.lastIndexOf(':') > lastSlash ? name : `${name}:latest`;
  if (hasHost(tagged)) return [tagged];
  const out = [tagged, `localhost/${tagged}`];
  if (!tagged.includes('/')) out.push(`docker.io/library/${tagged}`);
  out.push(`docker.io/${tagged}`);
  return out;
}
