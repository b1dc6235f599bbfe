/** A problem inside the image or data that did not stop the scan (e.g. a malformed stanza). */
export interface ScanWarning {
  /** Short machine-readable kind, e.g. `dpkg.stanza`, `npm.package-json`, `version.invalid`. */
  code: string;
  message: string;
  /** Path in the image (or input file) the warning is about. */
  path?: string;
  layer?: number;
}
