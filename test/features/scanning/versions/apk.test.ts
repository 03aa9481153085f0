import { compareApkVersions, isValidApkVersion } from '../../../../src/features/scanning/versions/apk.js';
import { compareVersions } from '../../../../src/features/scanning/versions/index.js';
import { shuffled, totalOrderViolations } from './total-order.js';

type Relation = '<' | '=' | '>';
const expected: Record<Relation, number> = { '<': -1, '=': 0, '>': 1 };
const negate = (n: number): number => (n === 0 ? 0 : -n);

const cases: Array<[string, Relation, string, string]> = [
  ['1.2.3', '<', '1.2.10', 'components compare as numbers'],
  ['1.2.9', '<', '1.10', 'component by component, not as a decimal'],
  ['1.0.0', '=', '1.0.0', 'equal'],
  ['1.0', '<', '1.0.0', 'a version that goes on is newer'],
  ['006', '=', '6', 'the first component compares by value'],
  // Suffixes: _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p.
  ['1.0_rc1', '<', '1.0', 'a pre-release is older than the release'],
  ['1.0', '<', '1.0_p1', 'a patch level is newer than the release'],
  ['1.0_alpha', '<', '1.0_beta', 'alpha before beta'],
  ['1.0_beta', '<', '1.0_pre', 'beta before pre'],
  ['1.0_pre', '<', '1.0_rc', 'pre before rc'],
  ['1.0_rc9', '<', '1.0', 'any rc before the release'],
  ['1.0_cvs', '<', '1.0_svn', 'cvs before svn'],
  ['1.0_svn', '<', '1.0_git', 'svn before git'],
  ['1.0_git', '<', '1.0_hg', 'git before hg'],
  ['1.0_hg', '<', '1.0_p', 'hg before p'],
  ['1.0_alpha', '<', '1.0_alpha1', 'a suffix number makes it newer'],
  ['1.0_alpha2', '<', '1.0_alpha10', 'suffix numbers compare as numbers'],
  ['1.0_p01', '=', '1.0_p1', 'suffix numbers compare by value'],
  ['1.0_rc1', '<', '1.0.1_alpha', 'suffixes only matter where the versions meet'],
  ['1.0_alpha_pre2', '<', '1.0_alpha', 'a second pre-release suffix is older still'],
  ['1.2_git20200101', '>', '1.2', 'a git snapshot after the release'],
  ['1.2_git20200101', '<', '1.2_git20200102', 'snapshot dates compare as numbers'],
  ['1.2_git20200101', '<', '1.2_p1', 'a snapshot before a patch level'],
  ['1.2_git20200101', '<', '1.2.1', 'a snapshot before the next release'],
  // Revisions.
  ['1.0-r0', '<', '1.0-r1', 'revisions'],
  ['1.0-r9', '<', '1.0-r10', 'revisions compare as numbers'],
  ['1.0-r01', '=', '1.0-r1', 'revisions compare by value'],
  ['1.0', '<', '1.0-r0', 'apk puts even -r0 after no revision'],
  ['1.0_rc1-r5', '<', '1.0-r0', 'the suffix decides before the revision'],
  ['1.0-r1', '<', '1.0_p1', 'a patch level beats a revision'],
  // Letters.
  ['1.0a', '<', '1.0b', 'letters in order'],
  ['1.0', '<', '1.0a', 'a letter makes it newer'],
  ['1.0z', '<', '1.0.1', 'but not newer than a further component'],
  ['1.0_p1', '<', '1.0a', 'a letter is newer than a patch level'],
  // Leading zeros after a dot: compared as text, like decimal fractions.
  ['0.1.0', '>', '0.01', '"1" > "01" as text'],
  ['1.01', '<', '1.1', 'leading zero first'],
  ['1.05', '<', '1.1', 'as a fraction 0.05 < 0.1'],
  ['1.010', '>', '1.01', 'text comparison, longer after a common prefix'],
  ['1.0', '<', '1.00', 'even for zero'],
  // Long digit runs compare by exact value (apk reads them into a uint64, which wraps past 2^64).
  ['1.18446744073709551616', '>', '1.18446744073709551615', 'past 2^64'],
  ['1.99999999999999999999999999999', '>', '1.99999999999999999999999999998', 'beyond any integer type'],
  ['1.0_p99999999999999999999', '>', '1.0_p9999999999999999999', 'long suffix numbers'],
  // Commit hashes (apk-tools 3): compared as text, after suffixes and before the revision.
  ['1.0~1234', '<', '1.0~2345', 'hashes as text'],
  ['1.0~1234-r1', '<', '1.0~2345-r0', 'the hash decides before the revision'],
  ['1.0~abc', '>', '1.0', 'a hash after the plain version'],
  ['1.0~abc', '>', '1.0-r5', 'a hash sorts after any revision of the version without one'],
];

describe('compareApkVersions', () => {
  it.each(cases)('%s %s %s (%s)', (a, rel, b) => {
    expect(Math.sign(compareApkVersions(a, b))).toBe(expected[rel]);
    expect(Math.sign(compareApkVersions(b, a))).toBe(negate(expected[rel]));
  });

  // Lines of test/version.data in apk-tools (now test/unit/version.data).
  const fromApkTools = `
    2.34 > 0.1.0_alpha
    23_foo > 4_beta
    1.0 < 1.0bc
    0.1.0_alpha2 > 0.1.0_alpha
    1.1 > 1.1_alpha1
    0.12.3 > 0.12
    3.1_p17 > 1.06-r6
    1.06-r6 < 006
    3.9.8-r5 > 2.01.01_alpha10
    1.39 > 1.00_beta2
    7.15.1-r1 > 1.02
    4.2.52_p2-r1 < 4.2.52_p4-r2
    3.0.0-r2 < 021109-r3
    3.9_pre20060124 > 0.01
    1.1.7 < 6b-r7
    0.10.0 < 0.10.1_rc1
    0.15.1b-r2 > 0.15.1b
    2.10.1 > 02.08.01b
    3.81 > 1.6d
    1.2.07.8 < 1.2.12.04
    1.07-r1 < 1.07.5
    0.59s-r11 < 0.65
    4.20 > 0.20070118
    0.20070118 < 0.20070207_rc1
    4.5_p1-r1 > 4.5_p1
    0.9.8c-r1 < 0.9.8d
    1.8.5 < 1.8.5_p2
    2.9.11_pre20051101-r3 > 2.9.11_pre20051101
    1.6.8_p12-r1 > 1.6.8_p9-r2
    4.5.14 > 4.09-r1
    0.9.28.1 < 087-r1
    104-r11 > 104-r9
    2.12r-r4 < 2.12r-r5
    7.0.17 < 7.0.174
    1.3_pre1-r1 < 1.3.2
    1.0_p10-r0 > 1.0_p9-r0
    0.1.0_alpha_pre2 < 0.1.0_alpha
    1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
    6.0_pre1 < 6.0
    6.0_p1 > 6.0
    8.2.0 < 8.2.001
    8.2.0015 < 8.2.002
    1.0~1234-r1 > 1.0~1234-r0`
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/) as [string, Relation, string]);

  it.each(fromApkTools)('apk-tools data: %s %s %s', (a, rel, b) => {
    expect(Math.sign(compareApkVersions(a, b))).toBe(expected[rel]);
    expect(Math.sign(compareApkVersions(b, a))).toBe(negate(expected[rel]));
  });

  it('sorts a shuffled list into apk order', () => {
    const ordered = [
      '0.01',
      '0.1.0',
      '1.0_alpha',
      '1.0_alpha1',
      '1.0_beta',
      '1.0_pre1',
      '1.0_rc1',
      '1.0',
      '1.0-r0',
      '1.0-r1',
      '1.0_cvs',
      '1.0_git20200101',
      '1.0_p1',
      '1.0a',
      '1.0b',
      '1.0.1',
      '1.1',
      '1.10',
      '2',
    ];
    expect(shuffled(ordered).sort(compareApkVersions)).toEqual(ordered);
  });

  it('orders invalid versions deterministically, their invalid tail before any valid one', () => {
    expect(compareApkVersions('', '')).toBe(0);
    expect(Math.sign(compareApkVersions('', '0'))).toBe(-1);
    expect(Math.sign(compareApkVersions('1.0-1', '1.0'))).toBe(-1);
    expect(Math.sign(compareApkVersions('1.0_foo', '1.0'))).toBe(-1);
    // A pre-release suffix still sorts before an invalid tail.
    expect(Math.sign(compareApkVersions('1.0_rc1', '1.0_foo'))).toBe(-1);
    // Two versions that agree up to where both turn invalid are equal to apk.
    expect(compareApkVersions('1.0bc', '1.0bd')).toBe(0);
  });

  it('is a total order over a sample including invalid versions', () => {
    const sample = [
      ...new Set([
        ...cases.flatMap(([a, , b]) => [a, b]),
        ...fromApkTools.flatMap(([a, , b]) => [a, b]),
        '',
        'a',
        '.1',
        '1.0-1',
        '1.0_foo',
        '1.0bc',
        '1.0bd',
        '1.0A',
        '1.0~',
        '1.0~XYZ',
        '1.0-r',
        '1.0-r1-r2',
        '1.0_\u00e9',
        '1.0~ab\u00e9',
        '1.0_rc1_',
      ]),
    ];
    expect(totalOrderViolations(sample, compareApkVersions)).toEqual([]);
  });

  it('is reached through compareVersions("apk", ...)', () => {
    expect(Math.sign(compareVersions('apk', '1.0_rc1', '1.0'))).toBe(-1);
    expect(Math.sign(compareVersions('apk', '1.2.10', '1.2.3'))).toBe(1);
    // dpkg has no suffix ranks: "_rc1" is punctuation then letters, so after the release.
    expect(Math.sign(compareVersions('dpkg', '1.0_rc1', '1.0'))).toBe(1);
  });
});

describe('isValidApkVersion', () => {
  // The validity lines of apk-tools' test/unit/version.data, plus everyday Alpine versions.
  it.each([
    '1.2',
    '0.1_pre2',
    '0.1_pre2~1234abcd',
    '0.1_p1_pre2',
    '0.1_alpha1_pre2',
    '0.1_git20240101_pre1',
    '3.3.0-r0',
    '1.36.1-r29',
    '2.40_rc1-r2',
    '9.5_p1-r0',
    '1.2.3a-r1',
  ])('accepts %j', (version) => {
    expect(isValidApkVersion(version)).toBe(true);
  });

  it.each([
    '',
    '0.1bc',
    '0.1bc1',
    '0.1a1',
    '0.1a.1',
    '0.1_pre2~',
    '0.1_pre2~1234xbcd',
    '0.1_pre2~1234abcd_pre1',
    '0.1_pre2-r1~1234xbcd',
    '0.1_foobar',
    '0.1_foobar1',
    '0.1-pre1.1',
    '0.1-r',
    '0.1-r2_pre1',
    '0.1-r2_p3_pre1',
    '0.1-r2-r3',
    '0.1-r2.1',
    '.1',
    'a',
    '_pre1',
    '-r1',
    '0.1_',
    '0.1_-r0',
    '0.1__alpha',
    '0.1_1_alpha',
    '1.0A',
    '1.0~ABCD',
    '1.0-1',
    '1:1.0',
    '1.0.',
  ])('refuses %j', (version) => {
    expect(isValidApkVersion(version)).toBe(false);
  });
});
