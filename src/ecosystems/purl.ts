// purl building and reading shared by the ecosystem modules (packageurl-js does the encoding).
import { newPackageURL, rethrowIfLibraryMissing } from '../util/packageurl.js';

/** `pkg:TYPE/NAME@VERSION`, or with a namespace; falls back to plain percent-encoding. */
export function buildPurl(type: string, namespace: string | undefined, name: string, version: string): string {
  const v = version || undefined;
  try {
    return newPackageURL(type, namespace, name, v, undefined, undefined).toString();
  } catch (err) {
    rethrowIfLibraryMissing(err);
    // A name packageurl-js rejects (hostile input): fall back to plain percent-encoding.
    const ns = namespace ? `${namespace.split('/').map(encodeURIComponent).join('/')}/` : '';
    return `pkg:${type}/${ns}${encodeURIComponent(name)}${v ? `@${encodeURIComponent(v)}` : ''}`;
  }
}

/** Names without a namespace (`pkg:cargo/serde@1.0.0`); a namespace is not part of the OSV name. */
export function plainPurl(type: string): { nameOf(ns: string | undefined, name: string): string; build(name: string, version: string): string } {
  return {
    nameOf: (_ns, name) => name,
    build: (name, version) => buildPurl(type, undefined, name, version),
  };
}

/**
 * Names whose last `/`-separated element is the purl name and the rest the namespace, left
 * unencoded between its slashes (Go module paths, Swift's `github.com/apple/swift-nio`).
 */
export function pathPurl(type: string): { nameOf(ns: string | undefined, name: string): string; build(name: string, version: string): string } {
  return {
    nameOf: (ns, name) => (ns ? `${ns}/${name}` : name),
    build(path, version) {
      const slash = path.lastIndexOf('/');
      const ver = version ? `@${encodeURIComponent(version)}` : '';
      if (slash < 0) return `pkg:${type}/${encodeURIComponent(path)}${ver}`;
      const ns = path.slice(0, slash).split('/').map(encodeURIComponent).join('/');
      return `pkg:${type}/${ns}/${encodeURIComponent(path.slice(slash + 1))}${ver}`;
    },
  };
}

/** OS packages: the OSV name is the purl name; their catalogers build purls with the distro. */
export function distroPurl(type: string): { nameOf(ns: string | undefined, name: string): string; build(name: string, version: string): string } {
  return {
    nameOf: (_ns, name) => name,
    build: (name, version) => buildPurl(type, undefined, name, version),
  };
}
