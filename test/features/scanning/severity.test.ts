import { createVulnDb, type AffectedPackage } from '../../../src/features/scanning/osv-db.js';
import {
  assessSeverity,
  scoreCvssVector,
  severityForScore,
  vendorSeverityLevel,
} from '../../../src/features/scanning/severity.js';
import { CVSS_CRITICAL_9_8, debianAptUnfixed, debianOpensslCve, debianRecord, type OsvRecord } from './osv-fixtures.js';

/** The first affected entry of a record, as the loader keeps it. */
function affectedOf(record: OsvRecord): AffectedPackage {
  const db = createVulnDb([record]);
  const affected = (record.affected as Array<{ package: { ecosystem: string; name: string } }>)[0];
  const [entry] = db.affected(affected?.package.ecosystem ?? '', affected?.package.name ?? '');
  if (!entry) throw new Error('record not indexed');
  return entry;
}

function assess(record: OsvRecord) {
  const entry = affectedOf(record);
  return assessSeverity(entry.vulnerability, entry);
}

describe('CVSS base scores of published vectors', () => {
  test.each([
    // vector, NVD's published base score: CVE
    [CVSS_CRITICAL_9_8, 9.8, '3.1'], // CVE-2021-3711 (OpenSSL SM2 decryption overflow)
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10, '3.1'], // CVE-2021-44228 (Log4Shell)
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8, '3.1'], // CVE-2023-4911 (glibc Looney Tunables)
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5, '3.1'], // CVE-2023-5363 (OpenSSL)
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5, '3.1'], // CVE-2023-44487 (HTTP/2 rapid reset)
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5, '3.1'], // CVE-2022-0563 (util-linux chfn/chsh)
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N', 3.7, '3.1'], // CVE-2011-3374 (apt-key)
    ['CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', 5.4, '3.0'], // the usual stored-XSS vector of CVSS v3.0 records
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3, '4.0'], // FIRST's v4.0 example
    ['AV:N/AC:L/Au:N/C:P/I:N/A:N', 5, '2.0'], // CVE-2014-0160 (Heartbleed), CVSS v2
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5, '2.0'], // CVE-2021-3711's v2 vector
  ])('%s scores %d', (vector, score, version) => {
    expect(scoreCvssVector(vector)).toEqual({ version, vector, baseScore: score });
  });

  test.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H'], // A missing
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q'], // unknown value
    ['7.5'],
    ['not a vector'],
    [''],
  ])('%j is not a scorable vector', (vector) => {
    expect(scoreCvssVector(vector)).toBeUndefined();
  });
});

test('the v3 qualitative bands, in ECR words', () => {
  expect([10, 9, 8.9, 7, 6.9, 4, 3.9, 0.1, 0].map(severityForScore)).toEqual([
    'CRITICAL',
    'CRITICAL',
    'HIGH',
    'HIGH',
    'MEDIUM',
    'MEDIUM',
    'LOW',
    'LOW',
    'INFORMATIONAL',
  ]);
});

test('distribution ratings', () => {
  expect(
    ['unimportant', 'low', 'medium', 'high', 'low**', 'MODERATE', 'negligible', 'critical', 'not yet assigned', 'untriaged'].map(
      vendorSeverityLevel,
    ),
  ).toEqual(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'LOW', 'MEDIUM', 'INFORMATIONAL', 'CRITICAL', undefined, undefined]);
});

test('a record with a CVSS v3.1 vector is rated by its base score, over Debian urgency', () => {
  const assessment = assess(debianOpensslCve);
  expect(assessment).toMatchObject({ severity: 'HIGH', score: 7.5, vendorSeverity: 'not yet assigned' });
  expect(assessment.basis?.vector).toBe('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N');

  const critical = assess({ ...debianAptUnfixed, severity: [{ type: 'CVSS_V3', score: CVSS_CRITICAL_9_8 }] });
  expect(critical).toMatchObject({ severity: 'CRITICAL', score: 9.8, vendorSeverity: 'unimportant' });
});

test('without a vector, Debian urgency decides', () => {
  expect(assess(debianAptUnfixed)).toEqual({ severity: 'INFORMATIONAL', cvss: [], vendorSeverity: 'unimportant' });
  const withUrgency = (urgency: string) =>
    assess(
      debianRecord('DEBIAN-CVE-2024-6000', 'examplepkg', {
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        ecosystem_specific: { urgency },
      }),
    ).severity;
  expect(['low', 'medium', 'high', 'not yet assigned'].map(withUrgency)).toEqual(['LOW', 'MEDIUM', 'HIGH', 'UNDEFINED']);
});

test('an unreadable vector falls through to the urgency', () => {
  const assessment = assess({ ...debianAptUnfixed, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }] });
  expect(assessment).toEqual({ severity: 'INFORMATIONAL', cvss: [], vendorSeverity: 'unimportant' });
});

test('v3.1 is preferred to v4.0, v4.0 is used alone, and per-package severity counts', () => {
  const both = assess({
    ...debianAptUnfixed,
    severity: [
      { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N' },
    ],
  });
  expect(both).toMatchObject({ severity: 'LOW', score: 3.7 });
  expect(both.cvss.map((cvss) => cvss.version)).toEqual(['4.0', '3.1']);

  const v4 = assess({
    ...debianAptUnfixed,
    severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }],
  });
  expect(v4).toMatchObject({ severity: 'CRITICAL', score: 9.3 });

  const perPackage = assess(
    debianRecord('DEBIAN-CVE-2024-6001', 'examplepkg', {
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' }],
    }),
  );
  expect(perPackage).toMatchObject({ severity: 'HIGH', score: 7.8 });
});

test("Ubuntu's priority and database_specific severity are vendor ratings too", () => {
  const ubuntu = createVulnDb([
    {
      id: 'UBUNTU-CVE-2024-0001',
      modified: '2024-01-01T00:00:00Z',
      severity: [{ type: 'Ubuntu', score: 'medium' }],
      affected: [
        { package: { name: 'openssl', ecosystem: 'Ubuntu:22.04:LTS' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
      ],
    },
  ]).affected('Ubuntu:22.04:LTS', 'openssl')[0] as AffectedPackage;
  expect(assessSeverity(ubuntu.vulnerability, ubuntu)).toEqual({ severity: 'MEDIUM', cvss: [], vendorSeverity: 'medium' });

  const moderate = assess({ ...debianRecord('X-1', 'examplepkg', { versions: ['1.0-1'] }), database_specific: { severity: 'MODERATE' } });
  expect(moderate.severity).toBe('MEDIUM');
});

test('a CVSS v2 vector alone is rated in v2 bands; nothing at all is UNDEFINED', () => {
  const v2 = assess(
    debianRecord('DEBIAN-CVE-2014-0160', 'examplepkg', {
      versions: ['1.0.1e-2'],
      severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:N/A:N' }],
    }),
  );
  expect(v2).toMatchObject({ severity: 'MEDIUM', score: 5 });
  expect(assess(debianRecord('DEBIAN-CVE-2024-6002', 'examplepkg', { versions: ['1.0-1'] }))).toEqual({
    severity: 'UNDEFINED',
    cvss: [],
  });
});
