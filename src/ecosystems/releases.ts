// Small helpers the OS ecosystem modules use to turn os-release facts into OSV release suffixes.
import type { OsInfo } from '../model/os.js';

export function major(v: string): string {
  return v.split('.')[0]!;
}

export function majorMinor(v: string): string {
  return v.split('.').slice(0, 2).join('.');
}

/**
 * The release number of an OS whose os-release may name only a codename (Debian testing/sid has
 * no VERSION_ID): VERSION_ID when it is numeric, else the codename's number from `codenames`.
 */
export function versionOrCodename(os: OsInfo, codenames: Readonly<Record<string, string>>): string | undefined {
  const v = os.versionId ?? '';
  if (/^\d/.test(v)) return v;
  const name = os.versionCodename?.toLowerCase();
  return name ? codenames[name] : undefined;
}
