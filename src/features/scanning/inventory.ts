// What a scan learns from an image's filesystem, and why a scan can fail. Shared by the layer
// reader (produces it) and the vulnerability matcher (consumes it).

/** From /etc/os-release (or /usr/lib/os-release). */
export interface OsIdentity {
  /** `ID`, e.g. debian, ubuntu, alpine. */
  id: string;
  /** `VERSION_ID`, e.g. 12, 22.04, 3.19.1. */
  versionId?: string;
  versionCodename?: string;
  prettyName?: string;
}

export type PackageFormat = 'dpkg' | 'apk';

export interface InstalledPackage {
  format: PackageFormat;
  /** Binary package name (dpkg `Package`, apk `P`). */
  name: string;
  /** Installed version (dpkg `Version`, apk `V`). */
  version: string;
  /** Source package (dpkg `Source`, apk origin `o`); vulnerability data is keyed by it on Debian and Alpine. */
  sourceName?: string;
  /** dpkg `Source: name (version)` when the source version differs from the binary's. */
  sourceVersion?: string;
  arch?: string;
}

export interface ImageInventory {
  os?: OsIdentity;
  packages: InstalledPackage[];
}

/** A scan that cannot complete: the reason becomes imageScanStatus.description. */
export class ScanFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ScanFailure';
  }
}
