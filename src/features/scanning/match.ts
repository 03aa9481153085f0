// Which installed OS packages a vulnerability database says are vulnerable. Debian, Ubuntu and
// Alpine track vulnerabilities by source package (dpkg `Source`, apk origin), so a binary package
// is looked up by its source name and, when the data knows nothing under that name, by its own.
import type { ImageInventory, InstalledPackage, OsIdentity } from './inventory.js';
import type { AffectedPackage, VulnDb, Vulnerability } from './osv-db.js';
import { fixedAbove, rangeIncludes, tryCompare } from './osv-ranges.js';

export interface VulnerabilityMatch {
  vulnerability: Vulnerability;
  /** The affected entry that matched: its ecosystem, tracked (source) name and vendor severity. */
  affected: AffectedPackage;
  package: InstalledPackage;
  /** The version compared with the ranges: a dpkg package's source version when it has one. */
  comparedVersion: string;
  /** The `fixed` event that ends the affected interval the version is in; absent when unfixed. */
  fixedInVersion?: string;
}

/**
 * The OSV ecosystems that describe an image's OS, most specific first. Records name a release
 * (`Debian:12`, `Ubuntu:22.04:LTS` or `Ubuntu:23.10`, `Alpine:v3.19`); a bare `Debian` / `Ubuntu` /
 * `Alpine` is allowed by the schema and applies to every release.
 */
export function osvEcosystems(os: OsIdentity | undefined): string[] {
  if (!os) return [];
  const version = os.versionId?.trim() ?? '';
  const [major, minor] = version.split('.');
  switch (os.id.trim().toLowerCase()) {
    case 'debian':
      return major ? [`Debian:${major}`, 'Debian'] : ['Debian'];
    case 'ubuntu':
      return version ? [`Ubuntu:${version}:LTS`, `Ubuntu:${version}`, 'Ubuntu'] : ['Ubuntu'];
    case 'alpine':
      return major && minor ? [`Alpine:v${major}.${minor}`, 'Alpine'] : ['Alpine'];
    default:
      return [];
  }
}

const FORMAT_OF_OS: Readonly<Record<string, InstalledPackage['format']>> = { Debian: 'dpkg', Ubuntu: 'dpkg', Alpine: 'apk' };

/** Every (vulnerability, installed binary package) pair the database says is affected, once. */
export function matchInventory(db: VulnDb, inventory: ImageInventory): VulnerabilityMatch[] {
  const ecosystems = osvEcosystems(inventory.os);
  if (ecosystems.length === 0) return [];
  const format = FORMAT_OF_OS[(ecosystems[0] as string).split(':', 1)[0] as string];
  const matches: VulnerabilityMatch[] = [];
  for (const pkg of inventory.packages) {
    if (pkg.format !== format) continue;
    const matchedIds = new Set<string>();
    const { entries, version } = candidates(db, ecosystems, pkg);
    // Entries come most specific ecosystem first, so `Debian:12` wins over a bare `Debian`.
    for (const affected of entries) {
      const id = affected.vulnerability.id;
      if (matchedIds.has(id)) continue;
      const verdict = evaluate(affected, version);
      if (!verdict.affected) continue;
      matchedIds.add(id);
      const match: VulnerabilityMatch = { vulnerability: affected.vulnerability, affected, package: pkg, comparedVersion: version };
      if (verdict.fixedInVersion !== undefined) match.fixedInVersion = verdict.fixedInVersion;
      matches.push(match);
    }
  }
  return matches;
}

interface Candidates {
  entries: AffectedPackage[];
  version: string;
}

/**
 * The affected entries to test a package against, with the version to test. By source name with
 * the source version (they are what Debian's data is keyed and versioned by); by binary name with
 * the binary version only when the data has nothing under the source name.
 */
function candidates(db: VulnDb, ecosystems: readonly string[], pkg: InstalledPackage): Candidates {
  const lookup = (name: string): AffectedPackage[] => ecosystems.flatMap((ecosystem) => [...db.affected(ecosystem, name)]);
  // A binNMU (`1.2-3+b1` built from source `1.2-3`) is fixed when its source is.
  const sourceVersion = pkg.format === 'dpkg' ? (pkg.sourceVersion ?? pkg.version) : pkg.version;
  const sourceName = pkg.sourceName?.trim() || pkg.name;
  const bySource = lookup(sourceName);
  if (bySource.length > 0 || sourceName === pkg.name) return { entries: bySource, version: sourceVersion };
  return { entries: lookup(pkg.name), version: pkg.version };
}

interface Verdict {
  affected: boolean;
  fixedInVersion?: string;
}

/** OSV evaluation: affected when the version is listed, or lies in one of the ranges. */
function evaluate(affected: AffectedPackage, version: string): Verdict {
  for (const events of affected.ranges) {
    if (rangeIncludes(affected.format, version, events)) {
      const fixed = fixedAbove(affected.format, version, events);
      return fixed === undefined ? { affected: true } : { affected: true, fixedInVersion: fixed };
    }
  }
  if (affected.versions?.has(version)) {
    // A listed version outside every range: its fix, if any, is the nearest fixed above it.
    let nearest: string | undefined;
    for (const events of affected.ranges) {
      const fix = fixedAbove(affected.format, version, events);
      if (fix !== undefined && (nearest === undefined || (tryCompare(affected.format, fix, nearest) ?? 0) < 0)) nearest = fix;
    }
    return nearest === undefined ? { affected: true } : { affected: true, fixedInVersion: nearest };
  }
  return { affected: false };
}
