import {
  findingName,
  findingSeverityCounts,
  splitVersion,
  toEnhancedImageScanFindings,
  toImageScanFindings,
} from '../../../src/features/scanning/findings.js';
import type { ImageInventory, InstalledPackage } from '../../../src/features/scanning/inventory.js';
import { matchInventory } from '../../../src/features/scanning/match.js';
import {
  alpineOpenssl,
  debianAptUnfixed,
  debianOpensslCve,
  debianOpensslCve4807,
  debianOpensslDsa,
  debianUtilLinux,
  vulnDbOf,
} from './osv-fixtures.js';


const openssl: InstalledPackage = { format: 'dpkg', name: 'openssl', version: '3.0.9-1', arch: 'amd64' };
const libssl3: InstalledPackage = { format: 'dpkg', name: 'libssl3', version: '3.0.9-1', sourceName: 'openssl', arch: 'amd64' };
const apt: InstalledPackage = { format: 'dpkg', name: 'apt', version: '2.6.1', arch: 'amd64' };
const bsdutils: InstalledPackage = {
  format: 'dpkg',
  name: 'bsdutils',
  version: '1:2.38.1-5+b1',
  sourceName: 'util-linux',
  sourceVersion: '2.38.1-5',
  arch: 'amd64',
};
const bookworm: ImageInventory = { os: { id: 'debian', versionId: '12' }, packages: [openssl, libssl3, apt, bsdutils] };

const firstObservedAt = new Date('2025-02-01T10:00:00Z');
const lastObservedAt = new Date('2025-02-03T12:00:00Z');

test('finding names prefer the CVE, as ECR does', () => {
  const base = { aliases: [], related: [], references: [], severity: [] };
  expect(findingName({ ...base, id: 'DEBIAN-CVE-2023-5363', aliases: ['CVE-2023-5363'] })).toBe('CVE-2023-5363');
  expect(findingName({ ...base, id: 'ALPINE-CVE-2023-5363' })).toBe('CVE-2023-5363');
  expect(findingName({ ...base, id: 'CVE-2023-5363' })).toBe('CVE-2023-5363');
  expect(findingName({ ...base, id: 'DLA-3530-1', aliases: ['CVE-2023-3817'] })).toBe('CVE-2023-3817');
  expect(findingName({ ...base, id: 'DSA-5532-1', aliases: ['CVE-2023-5363', 'CVE-2023-4807'] })).toBe('DSA-5532-1');
});

test('basic findings: one per CVE and installed package, with package and CVSS attributes', async () => {
  const db = await vulnDbOf(debianOpensslCve, debianAptUnfixed, debianUtilLinux);
  const findings = toImageScanFindings(matchInventory(db, bookworm));
  expect(findings.map((finding) => [finding.name, finding.attributes?.[1]?.value, finding.severity])).toEqual([
    ['CVE-2023-5363', 'openssl', 'HIGH'],
    ['CVE-2023-5363', 'libssl3', 'HIGH'],
    ['CVE-2011-3374', 'apt', 'INFORMATIONAL'],
    ['CVE-2024-28085', 'bsdutils', 'LOW'],
  ]);
  expect(findings[1]).toEqual({
    name: 'CVE-2023-5363',
    description: debianOpensslCve.details,
    uri: 'https://security-tracker.debian.org/tracker/CVE-2023-5363',
    severity: 'HIGH',
    attributes: [
      { key: 'package_version', value: '3.0.9-1' },
      { key: 'package_name', value: 'libssl3' },
      { key: 'CVSS3_VECTOR', value: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' },
      { key: 'CVSS3_SCORE', value: '7.5' },
    ],
  });
  // The installed binary version is reported, not the source version matching used.
  expect(findings[3]?.attributes?.[0]).toEqual({ key: 'package_version', value: '1:2.38.1-5+b1' });
});

test('an advisory whose CVEs all have their own records is not reported again', async () => {
  const db = await vulnDbOf(debianOpensslCve, debianOpensslDsa, debianOpensslCve4807);
  const inventory: ImageInventory = { os: bookworm.os, packages: [openssl] };
  expect(matchInventory(db, inventory).map((match) => match.vulnerability.id).sort()).toEqual([
    'DEBIAN-CVE-2023-4807',
    'DEBIAN-CVE-2023-5363',
    'DSA-5532-1',
  ]);
  expect(toImageScanFindings(matchInventory(db, inventory)).map((finding) => finding.name).sort()).toEqual([
    'CVE-2023-4807',
    'CVE-2023-5363',
  ]);
  // Without the per-CVE record for CVE-2023-4807, the DSA still says something new and stays.
  const partial = await vulnDbOf(debianOpensslCve, debianOpensslDsa);
  expect(toImageScanFindings(matchInventory(partial, inventory)).map((finding) => finding.name).sort()).toEqual([
    'CVE-2023-5363',
    'DSA-5532-1',
  ]);
});

test('enhanced findings: one per vulnerability listing its packages, in Inspector shape', async () => {
  const db = await vulnDbOf(debianOpensslCve, debianAptUnfixed, debianUtilLinux);
  const layers = new Map<InstalledPackage, string>([[libssl3, 'sha256:' + 'a'.repeat(64)]]);
  const findings = toEnhancedImageScanFindings(matchInventory(db, bookworm), {
    firstObservedAt,
    lastObservedAt,
    sourceLayerHash: (pkg) => layers.get(pkg),
  });
  expect(findings.map((finding) => finding.title)).toEqual([
    'CVE-2023-5363 - openssl, libssl3',
    'CVE-2011-3374 - apt',
    'CVE-2024-28085 - bsdutils',
  ]);
  expect(findings[0]).toEqual({
    description: debianOpensslCve.details,
    firstObservedAt,
    lastObservedAt,
    updatedAt: lastObservedAt,
    fixAvailable: 'YES',
    packageVulnerabilityDetails: {
      vulnerabilityId: 'CVE-2023-5363',
      vulnerablePackages: [
        { name: 'openssl', version: '3.0.9', release: '1', epoch: 0, arch: 'AMD64', packageManager: 'OS', fixedInVersion: '3.0.11-1~deb12u2' },
        {
          name: 'libssl3',
          version: '3.0.9',
          release: '1',
          epoch: 0,
          arch: 'AMD64',
          packageManager: 'OS',
          fixedInVersion: '3.0.11-1~deb12u2',
          sourceLayerHash: 'sha256:' + 'a'.repeat(64),
        },
      ],
      cvss: [{ baseScore: 7.5, scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', source: 'DEBIAN_CVE', version: '3.1' }],
      referenceUrls: ['https://www.openssl.org/news/secadv/20231024.txt'],
      relatedVulnerabilities: ['DEBIAN-CVE-2023-5363'],
      source: 'DEBIAN_CVE',
      sourceUrl: 'https://security-tracker.debian.org/tracker/CVE-2023-5363',
      vendorSeverity: 'not yet assigned',
      vendorCreatedAt: new Date('2023-10-25T18:17:43Z'),
      vendorUpdatedAt: new Date('2024-09-03T05:15:21Z'),
    },
    remediation: { recommendation: { text: 'Upgrade your installed software packages to the proposed fixed in version and release.' } },
    score: 7.5,
    scoreDetails: {
      cvss: {
        score: 7.5,
        scoreSource: 'DEBIAN_CVE',
        scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
        version: '3.1',
        adjustments: [],
      },
    },
    severity: 'HIGH',
    status: 'ACTIVE',
    title: 'CVE-2023-5363 - openssl, libssl3',
    type: 'PACKAGE_VULNERABILITY',
  });

  const [, aptFinding, utilLinux] = findings;
  expect(aptFinding).toMatchObject({
    fixAvailable: 'NO',
    severity: 'INFORMATIONAL',
    remediation: { recommendation: { text: 'None Provided' } },
    packageVulnerabilityDetails: { vulnerablePackages: [{ name: 'apt', version: '2.6.1', epoch: 0, fixedInVersion: 'NotAvailable' }] },
  });
  expect(aptFinding?.packageVulnerabilityDetails?.vulnerablePackages?.[0]?.release).toBeUndefined();
  expect(aptFinding?.score).toBeUndefined();
  // bsdutils 1:2.38.1-5+b1: epoch 1, upstream 2.38.1, Debian revision 5+b1.
  expect(utilLinux?.packageVulnerabilityDetails?.vulnerablePackages?.[0]).toMatchObject({
    name: 'bsdutils',
    epoch: 1,
    version: '2.38.1',
    release: '5+b1',
    fixedInVersion: '2.38.1-5+deb12u1',
  });
});

test('a vulnerability fixed for some packages only is PARTIAL; no rating at all is UNTRIAGED', async () => {
  const db = await vulnDbOf({
    id: 'DEBIAN-CVE-2024-7000',
    modified: '2024-01-01T00:00:00Z',
    affected: [
      { package: { name: 'openssl', ecosystem: 'Debian:12' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
      { package: { name: 'apt', ecosystem: 'Debian:12' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.6.2' }] }] },
    ],
  });
  const [finding] = toEnhancedImageScanFindings(matchInventory(db, bookworm), { firstObservedAt, lastObservedAt });
  expect(finding).toMatchObject({ fixAvailable: 'PARTIAL', severity: 'UNTRIAGED', title: 'CVE-2024-7000 - openssl, libssl3, apt' });
  expect(toImageScanFindings(matchInventory(db, bookworm)).map((basic) => basic.severity)).toEqual(['UNDEFINED', 'UNDEFINED', 'UNDEFINED']);
});

test('Alpine findings: apk version-rN split, Alpine tracker link', async () => {
  const db = await vulnDbOf(alpineOpenssl);
  const libcrypto: InstalledPackage = { format: 'apk', name: 'libcrypto3', version: '3.1.3-r0', sourceName: 'openssl', arch: 'x86_64' };
  const matches = matchInventory(db, { os: { id: 'alpine', versionId: '3.18.4' }, packages: [libcrypto] });
  const [basic] = toImageScanFindings(matches);
  expect(basic).toMatchObject({ name: 'CVE-2023-5363', uri: 'https://security.alpinelinux.org/vuln/CVE-2023-5363', severity: 'UNDEFINED' });
  const [enhanced] = toEnhancedImageScanFindings(matches, { firstObservedAt, lastObservedAt });
  expect(enhanced?.packageVulnerabilityDetails).toMatchObject({
    source: 'ALPINE_SEC_DB',
    vulnerablePackages: [{ name: 'libcrypto3', version: '3.1.3', release: 'r0', epoch: 0, arch: 'X86_64', fixedInVersion: '3.1.4-r0' }],
  });
});

test('version splitting', () => {
  expect(splitVersion('dpkg', '1:1.2.13.dfsg-1')).toEqual({ epoch: 1, version: '1.2.13.dfsg', release: '1' });
  expect(splitVersion('dpkg', '3.0.11-1~deb12u2')).toEqual({ epoch: 0, version: '3.0.11', release: '1~deb12u2' });
  expect(splitVersion('dpkg', '2:8.39-15')).toEqual({ epoch: 2, version: '8.39', release: '15' });
  expect(splitVersion('dpkg', '1.2.3-4-5')).toEqual({ epoch: 0, version: '1.2.3-4', release: '5' });
  expect(splitVersion('dpkg', '2.6.1')).toEqual({ epoch: 0, version: '2.6.1' });
  expect(splitVersion('apk', '1.36.1-r15')).toEqual({ epoch: 0, version: '1.36.1', release: 'r15' });
  expect(splitVersion('apk', '2.4_git20230717')).toEqual({ epoch: 0, version: '2.4_git20230717' });
});

test('findingSeverityCounts counts each severity present, as ECR reports them', async () => {
  const db = await vulnDbOf(debianOpensslCve, debianAptUnfixed, debianUtilLinux);
  const matches = matchInventory(db, bookworm);
  expect(findingSeverityCounts(toImageScanFindings(matches))).toEqual({ HIGH: 2, INFORMATIONAL: 1, LOW: 1 });
  expect(findingSeverityCounts(toEnhancedImageScanFindings(matches, { firstObservedAt, lastObservedAt }))).toEqual({
    HIGH: 1,
    INFORMATIONAL: 1,
    LOW: 1,
  });
  expect(findingSeverityCounts([])).toEqual({});
});
