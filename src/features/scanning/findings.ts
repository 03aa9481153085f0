// Matches turned into the finding shapes ECR returns from DescribeImageScanFindings: basic scan
// findings (one per vulnerability and package, named by CVE) and enhanced findings (Amazon
// Inspector's shape: one per vulnerability, listing the vulnerable packages).
import type {
  Attribute,
  CvssScore,
  EnhancedImageScanFinding,
  FindingSeverity,
  ImageScanFinding,
  Resource,
  VulnerablePackage,
} from '../../model/generated/types.js';
import type { InstalledPackage } from './inventory.js';
import type { VulnerabilityMatch } from './match.js';
import type { Vulnerability } from './osv-db.js';
import { assessSeverity, type CvssAssessment, type SeverityAssessment } from './severity.js';

const CVE_ID = /^CVE-\d{4}-\d+$/;
/** Distribution records named after one CVE: DEBIAN-CVE-2023-4911, UBUNTU-CVE-..., ALPINE-CVE-... */
const DISTRO_CVE_ID = /^[A-Z]+-(CVE-\d{4}-\d+)$/;

/**
 * The name ECR gives a finding: the CVE when the record is about exactly one, else the record's
 * own id (an advisory such as DSA-5514-1 that fixes several CVEs).
 */
export function findingName(vulnerability: Vulnerability): string {
  const { id } = vulnerability;
  if (CVE_ID.test(id)) return id;
  const embedded = DISTRO_CVE_ID.exec(id)?.[1];
  if (embedded) return embedded;
  const cves = cveAliases(vulnerability);
  return cves.length === 1 ? (cves[0] as string) : id;
}

function cveAliases(vulnerability: Vulnerability): string[] {
  return vulnerability.aliases.filter((alias) => CVE_ID.test(alias));
}

/**
 * One match per (finding name, package). The Debian export has both a record per CVE and the
 * DSA/DLA advisories that fixed them: a package matched by the CVE's own record and by an
 * advisory for it keeps the CVE's record (its ranges are the tracker's current view), and an
 * advisory whose every CVE is already matched for that package is dropped as a repeat.
 */
export function distinctMatches(matches: readonly VulnerabilityMatch[]): VulnerabilityMatch[] {
  const byPackage = new Map<InstalledPackage, Map<string, VulnerabilityMatch>>();
  for (const match of matches) {
    let named = byPackage.get(match.package);
    if (!named) byPackage.set(match.package, (named = new Map()));
    const name = findingName(match.vulnerability);
    const current = named.get(name);
    if (!current || preferred(match, current, name)) named.set(name, match);
  }
  const kept: VulnerabilityMatch[] = [];
  for (const named of byPackage.values()) {
    for (const [name, match] of named) {
      const cves = cveAliases(match.vulnerability);
      const repeat = !CVE_ID.test(name) && cves.length > 0 && cves.every((cve) => named.has(cve));
      if (!repeat) kept.push(match);
    }
  }
  return kept;
}

function preferred(candidate: VulnerabilityMatch, current: VulnerabilityMatch, name: string): boolean {
  const ownRecord = (match: VulnerabilityMatch): boolean => match.vulnerability.id === name || match.vulnerability.id.endsWith(`-${name}`);
  if (ownRecord(candidate) !== ownRecord(current)) return ownRecord(candidate);
  return candidate.vulnerability.id < current.vulnerability.id;
}

/** Where ECR points a finding: the distribution's page for it, else the record's first advisory link. */
export function findingUri(vulnerability: Vulnerability, ecosystem: string): string | undefined {
  const name = findingName(vulnerability);
  const distribution = ecosystem.split(':', 1)[0];
  if (distribution === 'Debian') return `https://security-tracker.debian.org/tracker/${name}`;
  if (CVE_ID.test(name) && distribution === 'Ubuntu') return `https://ubuntu.com/security/${name}`;
  if (CVE_ID.test(name) && distribution === 'Alpine') return `https://security.alpinelinux.org/vuln/${name}`;
  const advisory = vulnerability.references.find((reference) => reference.type === 'ADVISORY');
  return (advisory ?? vulnerability.references[0])?.url;
}

function description(vulnerability: Vulnerability): string | undefined {
  return vulnerability.details ?? vulnerability.summary;
}

function scoreText(score: number): string {
  return score.toFixed(1);
}

/** Basic scan findings: one per vulnerability and installed package. */
export function toImageScanFindings(matches: readonly VulnerabilityMatch[]): ImageScanFinding[] {
  return distinctMatches(matches).map((match) => {
    const { vulnerability, affected, package: pkg } = match;
    const assessment = assessSeverity(vulnerability, affected);
    const attributes: Attribute[] = [
      { key: 'package_version', value: pkg.version },
      { key: 'package_name', value: pkg.name },
    ];
    const v2 = assessment.cvss.find((cvss) => cvss.version === '2.0');
    if (v2) attributes.push({ key: 'CVSS2_VECTOR', value: v2.vector }, { key: 'CVSS2_SCORE', value: scoreText(v2.baseScore) });
    const v3 = assessment.cvss.find((cvss) => cvss.version === '3.1') ?? assessment.cvss.find((cvss) => cvss.version === '3.0');
    if (v3) attributes.push({ key: 'CVSS3_VECTOR', value: v3.vector }, { key: 'CVSS3_SCORE', value: scoreText(v3.baseScore) });

    const finding: ImageScanFinding = { name: findingName(vulnerability), severity: assessment.severity, attributes };
    const text = description(vulnerability);
    if (text !== undefined) finding.description = text;
    const uri = findingUri(vulnerability, affected.ecosystem);
    if (uri !== undefined) finding.uri = uri;
    return finding;
  });
}

export interface EnhancedFindingOptions {
  firstObservedAt: Date;
  lastObservedAt: Date;
  /** The digest of the layer that installed a package, when the inventory knows it. */
  sourceLayerHash?: (pkg: InstalledPackage) => string | undefined;
  awsAccountId?: string;
  /** The scanned image, as Inspector describes it (type AWS_ECR_CONTAINER_IMAGE). */
  resources?: Resource[];
}

/** Inspector names the data source; these are its names for the distributions' trackers. */
const SOURCE_BY_DISTRIBUTION: Readonly<Record<string, string>> = {
  Debian: 'DEBIAN_CVE',
  Ubuntu: 'UBUNTU_CVE',
  Alpine: 'ALPINE_SEC_DB',
};

/** Inspector's words for what to do, and its value for a package that has no fix yet. */
const UPGRADE_RECOMMENDATION = 'Upgrade your installed software packages to the proposed fixed in version and release.';
const NO_RECOMMENDATION = 'None Provided';
const NO_FIXED_VERSION = 'NotAvailable';

const SEVERITY_RANK: readonly FindingSeverity[] = ['UNDEFINED', 'INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/** Enhanced scan findings: one per vulnerability, with every installed package it affects. */
export function toEnhancedImageScanFindings(
  matches: readonly VulnerabilityMatch[],
  options: EnhancedFindingOptions,
): EnhancedImageScanFinding[] {
  const byName = new Map<string, VulnerabilityMatch[]>();
  for (const match of distinctMatches(matches)) {
    const name = findingName(match.vulnerability);
    const group = byName.get(name);
    if (group) group.push(match);
    else byName.set(name, [match]);
  }
  return [...byName].map(([name, group]) => enhancedFinding(name, group, options));
}

function enhancedFinding(name: string, group: VulnerabilityMatch[], options: EnhancedFindingOptions): EnhancedImageScanFinding {
  const first = group[0] as VulnerabilityMatch;
  const { vulnerability } = first;
  const distribution = first.affected.ecosystem.split(':', 1)[0] as string;
  const source = SOURCE_BY_DISTRIBUTION[distribution] ?? distribution.toUpperCase();
  // Packages may reach one vulnerability through entries rated differently: the worst counts.
  const assessment = group
    .map((match) => assessSeverity(match.vulnerability, match.affected))
    .reduce((worst, next) => (SEVERITY_RANK.indexOf(next.severity) > SEVERITY_RANK.indexOf(worst.severity) ? next : worst));

  const vulnerablePackages = group.map((match) => vulnerablePackage(match, options));
  const fixed = group.filter((match) => match.fixedInVersion !== undefined).length;
  const uri = findingUri(vulnerability, first.affected.ecosystem);

  const finding: EnhancedImageScanFinding = {
    firstObservedAt: options.firstObservedAt,
    lastObservedAt: options.lastObservedAt,
    updatedAt: options.lastObservedAt,
    fixAvailable: fixed === group.length ? 'YES' : fixed === 0 ? 'NO' : 'PARTIAL',
    packageVulnerabilityDetails: {
      vulnerabilityId: name,
      vulnerablePackages,
      cvss: assessment.cvss.map((cvss) => cvssScore(cvss, source)),
      referenceUrls: [...new Set(vulnerability.references.map((reference) => reference.url))],
      relatedVulnerabilities: relatedIds(vulnerability, name),
      source,
    },
    remediation: { recommendation: { text: fixed > 0 ? UPGRADE_RECOMMENDATION : NO_RECOMMENDATION } },
    // Inspector calls a finding with no rating UNTRIAGED where basic scanning says UNDEFINED.
    severity: assessment.severity === 'UNDEFINED' ? 'UNTRIAGED' : assessment.severity,
    status: 'ACTIVE',
    title: `${name} - ${[...new Set(group.map((match) => match.package.name))].join(', ')}`,
    type: 'PACKAGE_VULNERABILITY',
  };
  const details = finding.packageVulnerabilityDetails as NonNullable<EnhancedImageScanFinding['packageVulnerabilityDetails']>;
  if (uri !== undefined) details.sourceUrl = uri;
  const vendorSeverity = vendorSeverityText(assessment);
  if (vendorSeverity !== undefined) details.vendorSeverity = vendorSeverity;
  if (vulnerability.published) details.vendorCreatedAt = vulnerability.published;
  if (vulnerability.modified) details.vendorUpdatedAt = vulnerability.modified;
  const text = description(vulnerability);
  if (text !== undefined) finding.description = text;
  if (assessment.score !== undefined) finding.score = assessment.score;
  if (assessment.basis) {
    finding.scoreDetails = {
      cvss: {
        score: assessment.basis.baseScore,
        scoreSource: source,
        scoringVector: assessment.basis.vector,
        version: assessment.basis.version,
        adjustments: [],
      },
    };
  }
  if (options.awsAccountId !== undefined) finding.awsAccountId = options.awsAccountId;
  if (options.resources !== undefined) finding.resources = options.resources;
  return finding;
}

/** The vendor's own rating when it gave one, else the CVSS rating the severity came from. */
function vendorSeverityText(assessment: SeverityAssessment): string | undefined {
  return assessment.vendorSeverity ?? (assessment.basis ? assessment.severity : undefined);
}

function cvssScore(cvss: CvssAssessment, source: string): CvssScore {
  return { baseScore: cvss.baseScore, scoringVector: cvss.vector, source, version: cvss.version };
}

function relatedIds(vulnerability: Vulnerability, name: string): string[] {
  const ids = [vulnerability.id, ...vulnerability.aliases, ...vulnerability.related];
  return [...new Set(ids)].filter((id) => id !== name);
}

function vulnerablePackage(match: VulnerabilityMatch, options: EnhancedFindingOptions): VulnerablePackage {
  const { package: pkg } = match;
  const parts = splitVersion(pkg.format, pkg.version);
  const vulnerable: VulnerablePackage = {
    name: pkg.name,
    version: parts.version,
    epoch: parts.epoch,
    packageManager: 'OS',
    fixedInVersion: match.fixedInVersion ?? NO_FIXED_VERSION,
  };
  if (parts.release !== undefined) vulnerable.release = parts.release;
  // Inspector writes architectures in capitals (X86_64, AMD64, ARM64).
  if (pkg.arch) vulnerable.arch = pkg.arch.toUpperCase();
  const layer = options.sourceLayerHash?.(pkg);
  if (layer) vulnerable.sourceLayerHash = layer;
  return vulnerable;
}

export interface VersionParts {
  epoch: number;
  version: string;
  release?: string;
}

/**
 * A package version split the way Inspector reports it: dpkg `[epoch:]upstream[-revision]`
 * (the revision is after the last hyphen) and apk `version-rN`. A missing epoch is 0.
 */
export function splitVersion(format: InstalledPackage['format'], full: string): VersionParts {
  let rest = full;
  let epoch = 0;
  if (format === 'dpkg') {
    const colon = rest.indexOf(':');
    if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
      epoch = Number(rest.slice(0, colon));
      rest = rest.slice(colon + 1);
    }
    const hyphen = rest.lastIndexOf('-');
    return hyphen > 0 ? { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) } : { epoch, version: rest };
  }
  const release = /^(.*)-(r\d+)$/.exec(rest);
  return release ? { epoch, version: release[1] as string, release: release[2] as string } : { epoch, version: rest };
}

/** ECR's findingSeverityCounts: how many findings have each severity, leaving out the ones with none. */
export function findingSeverityCounts(findings: ReadonlyArray<{ severity?: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { severity } of findings) {
    if (severity !== undefined) counts[severity] = (counts[severity] ?? 0) + 1;
  }
  return counts;
}
