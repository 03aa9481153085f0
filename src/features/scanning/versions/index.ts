// Version ordering by package format: the one entry point the vulnerability matcher uses.

import type { PackageFormat } from '../inventory.js';
import { compareApkVersions } from './apk.js';
import { compareDpkgVersions } from './dpkg.js';

export { compareApkVersions, isValidApkVersion } from './apk.js';
export { compareDpkgVersions, isValidDpkgVersion, parseDpkgVersion } from './dpkg.js';
export type { DpkgVersion, DpkgVersionProblem, ParsedDpkgVersion } from './dpkg.js';

const comparators: Record<PackageFormat, (a: string, b: string) => number> = {
  dpkg: compareDpkgVersions,
  apk: compareApkVersions,
};

/**
 * Orders two versions of a package in `format`'s own rules: negative when `a` is older than
 * `b`, 0 when the package manager considers them equal, positive when `a` is newer.
 */
export function compareVersions(format: PackageFormat, a: string, b: string): number {
  return comparators[format](a, b);
}
