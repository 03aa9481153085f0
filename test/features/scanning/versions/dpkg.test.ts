import {
  compareDpkgVersions,
  isValidDpkgVersion,
  parseDpkgVersion,
} from '../../../../src/features/scanning/versions/dpkg.js';
import { compareVersions } from '../../../../src/features/scanning/versions/index.js';
import { shuffled, totalOrderViolations } from './total-order.js';

type Relation = '<' | '=' | '>';
const expected: Record<Relation, number> = { '<': -1, '=': 0, '>': 1 };
const negate = (n: number): number => (n === 0 ? 0 : -n);

/** Asserts `a rel b` and, so the comparator is checked both ways, the mirrored relation. */
function expectOrder(a: string, rel: Relation, b: string): void {
  expect(Math.sign(compareDpkgVersions(a, b))).toBe(expected[rel]);
  expect(Math.sign(compareDpkgVersions(b, a))).toBe(negate(expected[rel]));
}

const cases: Array<[string, Relation, string, string]> = [
  // Epochs outrank everything after them.
  ['1:1.0', '>', '2.0', 'an epoch beats a higher upstream version'],
  ['0:1.0', '=', '1.0', 'epoch 0 is the default'],
  ['1:0.1', '<', '2:0.0.1', 'epochs compare numerically'],
  ['10:1', '>', '9:1', 'epochs compare numerically, not as text'],
  ['00001:1.0', '=', '1:1.0', 'leading zeros in an epoch do not count'],
  // Tildes sort before everything, even the end of the version.
  ['1.0~rc1', '<', '1.0', 'a tilde pre-release is older than the release'],
  ['1.0~~', '<', '1.0~', 'two tildes before one'],
  ['1.0~', '<', '1.0', 'a bare tilde before the end'],
  ['1.0~~a', '<', '1.0~', 'tilde beats the end of the other version'],
  ['1.0~rc1', '<', '1.0~rc2', 'after the tilde, ordinary ordering'],
  ['1.0~beta', '<', '1.0~rc', 'letters in alphabetical order after the tilde'],
  ['2.30~rc1-1', '>', '2.29-9', 'the tilde only matters where the versions meet'],
  // Revisions.
  ['1.0-1', '<', '1.0-2', 'revisions compare after equal upstream versions'],
  ['1.0-9', '<', '1.0-10', 'revisions compare numerically'],
  ['1.0', '=', '1.0-0', 'a missing revision equals revision 0'],
  ['1.0', '<', '1.0-1', 'a missing revision is older than revision 1'],
  ['1.0', '>', '1.0-~', 'a tilde revision is older than none'],
  ['1.0-1', '<', '1.0-1.1', 'revision with more components'],
  ['1.0-1', '<', '1.0-1+deb12u1', 'a stable update sorts after the original revision'],
  ['1.0-1~bpo12+1', '<', '1.0-1', 'a backport sorts before the revision it backports'],
  ['1.0-2', '>', '1.0-1+deb12u1', 'the next revision beats a stable update'],
  ['2.0-1-1', '>', '2.0-1', 'only the last hyphen starts the revision (upstream "2.0-1" vs "2.0")'],
  // Letters sort before non-letters; the end of a part sorts before letters.
  ['1.0a', '>', '1.0', 'a letter goes after the end'],
  ['1.0a', '<', '1.0+', 'letters before non-letters'],
  ['1.0a', '<', '1.0.1', 'a letter before a dot'],
  ['1.0Z', '<', '1.0a', 'letters by ASCII: capitals first'],
  ['1.0+', '<', '1.0.', 'non-letters by ASCII + 256'],
  ['1.0a', '<', '1.0b', 'letters in order'],
  ['1.0.a', '>', '1.0a', '"." is a non-letter, so it sorts after a letter'],
  // Leading zeros.
  ['1.01', '=', '1.1', 'leading zeros are ignored'],
  ['1.000', '=', '1.0', 'zero is zero however written'],
  ['1.0010', '>', '1.9', 'leading zeros do not make a fraction'],
  ['007', '=', '7', 'leading zeros at the start'],
  // Long digit runs compare by value without overflowing.
  ['1.18446744073709551616', '>', '1.18446744073709551615', 'past 2^64'],
  ['1.99999999999999999999999999999', '>', '1.99999999999999999999999999998', 'beyond any integer type'],
  ['1.0000000000000000000000000000000002', '=', '1.2', 'a long run of leading zeros'],
  ['20240101000000000000', '>', '9999999999999999999', 'longer run, larger number'],
  ['1.2.3.4.5.6.7.8.9.10', '>', '1.2.3.4.5.6.7.8.9.9', 'many components'],
  // "+" and "." in upstream.
  ['1.0+dfsg', '>', '1.0', 'a repack suffix sorts after the plain version'],
  ['1.0+dfsg', '<', '1.0.1', '"+" sorts before "."'],
  ['1.0+dfsg1-1', '<', '1.0+dfsg2-1', 'numbers after a suffix'],
  ['2.36+git20220101', '<', '2.36+git20220102', 'snapshot dates'],
  ['1.2.3+really1.2.2', '>', '1.2.3', 'a "really" version still sorts after its base'],
  ['1.0.', '>', '1.0', 'a trailing dot sorts after the end'],
  // Multiple colons and hyphens (dpkg's lib/dpkg/t/t-version.c).
  ['0:0:0-0', '>', '0:0-0', 'upstream may contain colons once there is an epoch; ":" is a non-letter'],
  ['0:0-0-0', '>', '0:0-0', 'upstream may contain hyphens when there is a revision'],
  // Non-ASCII bytes (invalid, but dpkg --compare-versions on amd64 still orders them): by byte
  // value, after the letters and before ASCII punctuation.
  ['1.0\u00e9', '>', '1.0z', 'a non-ASCII byte after a letter'],
  ['1.0\u00e9', '<', '1.0+', 'a non-ASCII byte before ASCII punctuation'],
];

describe('compareDpkgVersions', () => {
  it.each(cases)('%s %s %s (%s)', (a, rel, b) => {
    expectOrder(a, rel, b);
  });

  // scripts/t/Dpkg_Version.t in dpkg: "a b result", checked there against dpkg --compare-versions.
  const fromDpkgSuite = `
    1.0-1 2.0-2 -1
    2.2~rc-4 2.2-1 -1
    2.2-1 2.2~rc-4 1
    1.0000-1 1.0-1 0
    1 0:1 0
    0 0:0-0 0
    2:2.5 1:7.5 1
    1:0foo 0foo 1
    0:0foo 0foo 0
    0foo 0foo 0
    0foo- 0foo 0
    0foo- 0foo-0 0
    0foo 0fo 1
    0foo- 0foo+ -1
    0foo~1 0foo -1
    0foo~foo+Bar 0foo~foo+bar -1
    0foo~~ 0foo~ -1
    1~ 1 -1
    12345+that-really-is-some-ver-0 12345+that-really-is-some-ver-10 -1
    0foo-0 0foo-01 -1
    0foo.bar 0foobar 1
    0foo.bar 0foo1bar 1
    0foo.bar 0foo0bar 1
    0foo1bar-1 0foobar-1 -1
    0foo2.0 0foo2 1
    0foo2.0.0 0foo2.10.0 -1
    0foo2.0 0foo2.0.0 -1
    0foo2.0 0foo2.10 -1
    0foo2.1 0foo2.10 -1
    1.09 1.9 0
    1.0.8+nmu1 1.0.8 1
    3.11 3.10+nmu1 1
    0.9j-20080306-4 0.9i-20070324-2 1
    1.2.0~b7-1 1.2.0~b6-1 1
    1.011-1 1.06-2 1
    0.0.9+dfsg1-1 0.0.8+dfsg1-3 1
    4.6.99+svn6582-1 4.6.99+svn6496-1 1
    53 52 1
    0.9.9~pre122-1 0.9.9~pre111-1 1
    2:2.3.2-2+lenny2 2:2.3.2-2 1
    1:3.8.1-1 3.8.GA-1 1
    1.0.1+gpl-1 1.0.1-2 1
    1a 1000a -1
    -0.6.5 0.9.1 -1`
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/) as [string, string, string]);

  it.each(fromDpkgSuite)('dpkg suite: %s vs %s is %s', (a, b, result) => {
    expect(Math.sign(compareDpkgVersions(a, b))).toBe(Number(result));
    expect(Math.sign(compareDpkgVersions(b, a))).toBe(negate(Number(result)));
  });

  it('sorts a shuffled list into dpkg order', () => {
    const ordered = [
      '0.9',
      '1.0~~',
      '1.0~~a',
      '1.0~',
      '1.0~rc1',
      '1.0',
      '1.0-0.1',
      '1.0-1',
      '1.0a',
      '1.0+dfsg',
      '1.0.1',
      '1.1',
      '1:0.1',
    ];
    expect(shuffled(ordered).sort(compareDpkgVersions)).toEqual(ordered);
  });

  it('orders invalid versions deterministically', () => {
    // dpkg refuses these; the comparison still has to give one stable answer.
    expect(compareDpkgVersions('a:1.0', 'a:1.0')).toBe(0);
    expect(compareDpkgVersions('', '')).toBe(0);
    expect(Math.sign(compareDpkgVersions('', '1'))).toBe(-1);
    expect(Math.sign(compareDpkgVersions('1.0-', '1.0'))).toBe(0);
    expect(Math.sign(compareDpkgVersions('999999999999999999999999:0', '2147483647:0'))).toBe(1);
    expect(Math.sign(compareDpkgVersions('1.0 2', '1.0'))).toBe(1);
  });

  it('is a total order over a sample including invalid versions', () => {
    const sample = [
      ...new Set([
        ...cases.flatMap(([a, , b]) => [a, b]),
        ...fromDpkgSuite.flatMap(([a, b]) => [a, b]),
        '',
        ' ',
        'a:1.0',
        '-1:1.0',
        '1:',
        '1.0-',
        '-1',
        'abc',
        '1 0',
        '1.0_1',
        '1.0-1:2',
        '999999999999999999999999:0',
        'é',
        '1.0é',
        '1.0\u0000',
      ]),
    ];
    expect(totalOrderViolations(sample, compareDpkgVersions)).toEqual([]);
  });

  it('is reached through compareVersions("dpkg", ...)', () => {
    expect(Math.sign(compareVersions('dpkg', '1:1.0', '2.0'))).toBe(1);
    expect(Math.sign(compareVersions('dpkg', '1.0~rc1', '1.0'))).toBe(-1);
    // Under apk's rules the tilde starts a commit hash, so the same pair orders differently.
    expect(Math.sign(compareVersions('apk', '1.0~1', '1.0'))).toBe(1);
  });
});

describe('parseDpkgVersion', () => {
  it('splits epoch, upstream version and revision', () => {
    expect(parseDpkgVersion('1:2.30-1+deb12u2')).toEqual({ epoch: 1, upstream: '2.30', revision: '1+deb12u2' });
    expect(parseDpkgVersion('2.30')).toEqual({ epoch: 0, upstream: '2.30', revision: '' });
    expect(parseDpkgVersion('0:0-0-0-0')).toEqual({ epoch: 0, upstream: '0-0-0', revision: '0' });
    expect(parseDpkgVersion('0:0:0:0-0')).toEqual({ epoch: 0, upstream: '0:0:0', revision: '0' });
    expect(parseDpkgVersion(' \t0:0-1 \t')).toEqual({ epoch: 0, upstream: '0', revision: '1' });
    expect(parseDpkgVersion('0:09azAZ.-+~:-0')).toEqual({ epoch: 0, upstream: '09azAZ.-+~:', revision: '0' });
    expect(parseDpkgVersion('0:0-azAZ09.+~')).toEqual({ epoch: 0, upstream: '0', revision: 'azAZ09.+~' });
  });

  it('reports what dpkg reports, in dpkg order', () => {
    expect(parseDpkgVersion('').problem).toEqual({ severity: 'error', message: 'version string is empty' });
    expect(parseDpkgVersion('0:0 0-1').problem?.message).toBe('version string has embedded spaces');
    expect(parseDpkgVersion(':1.0').problem?.message).toBe('epoch in version is empty');
    expect(parseDpkgVersion('1a:1.0').problem?.message).toBe('epoch in version is not number');
    expect(parseDpkgVersion('-1:0-1').problem?.message).toBe('epoch in version is negative');
    expect(parseDpkgVersion('999999999999999999999999:0-1').problem?.message).toBe('epoch in version is too big');
    expect(parseDpkgVersion('0:').problem?.message).toBe('nothing after colon in version number');
    expect(parseDpkgVersion('1.0-').problem?.message).toBe('revision number is empty');
    expect(parseDpkgVersion('0:-0').problem?.message).toBe('version number is empty');
    expect(parseDpkgVersion('0:abc3-0').problem).toEqual({
      severity: 'warning',
      message: 'version number does not start with digit',
    });
    expect(parseDpkgVersion('0:0_-0').problem?.message).toBe('invalid character in version number');
    expect(parseDpkgVersion('0:0-0:0').problem?.message).toBe('invalid character in revision number');
  });
});

describe('isValidDpkgVersion', () => {
  // lib/dpkg/t/t-version.c in dpkg, plus everyday Debian versions.
  it.each([
    '0',
    '0:0',
    '0:0-0',
    '0:0.0-0.0',
    '1:0',
    '5:1',
    '0:0-0-0',
    '0:0:0-0',
    '0:09azAZ.-+~:-0',
    '0:0-azAZ09.+~',
    '  \t0:0-1',
    '0:0-1\t  ',
    '2147483647:1',
    '-0:1', // strtol reads "-0" as 0
    '+1:1', // and accepts a plus sign
    '2.36-9+deb12u4',
    '1:9.2p1-2+deb12u3',
    '3.0.11-1~deb12u2',
  ])('accepts %j', (version) => {
    expect(isValidDpkgVersion(version)).toBe(true);
  });

  it.each([
    // errors
    '',
    '  ',
    '0:',
    ':1.0',
    '1.0-',
    '0:0 0-1',
    '-1:0-1',
    '2147483648:1',
    '999999999999999999999999:0-1',
    'a:0-0',
    'A:0-0',
    '-0',
    '0:-0',
    // warnings, which dpkg's strict parsers refuse
    '0:abc3-0',
    ...[...'!#@$%&/|\\<>()[]{};,_=*^\''].map((ch) => `0:0${ch}-0`),
    ...[...'!#@$%&/|\\<>()[]{}:;,_=*^\''].map((ch) => `0:0-${ch}`),
    '1.0é',
  ])('refuses %j', (version) => {
    expect(isValidDpkgVersion(version)).toBe(false);
  });
});
