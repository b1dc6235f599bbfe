/** The operating system detected in the image's final filesystem. */
export interface OsInfo {
  /** os-release ID (`debian`, `ubuntu`, `alpine`, `rhel`, `almalinux`, `rocky`, …). */
  id: string;
  /** os-release VERSION_ID (`12`, `22.04`, `3.20.1`, `9.4`). */
  versionId?: string;
  versionCodename?: string;
  prettyName?: string;
  idLike?: string[];
  /** Which file told us (`/etc/os-release`, `/etc/alpine-release`, …). */
  detectedFrom: string;
  /** Distroless images (dpkg status.d without os-release) are recognised as such. */
  distroless?: boolean;
}
