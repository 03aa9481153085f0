// Debian package version ordering (Debian Policy §5.6.12), following dpkg itself:
// parseversion() in lib/dpkg/parsehelp.c splits and checks a version, verrevcmp() and
// dpkg_version_compare() in lib/dpkg/version.c order them.

import { compareDecimal, isAsciiDigit, utf8Bytes } from './bytes.js';

export interface DpkgVersion {
  /** `N` of a leading `N:`; 0 when absent. */
  epoch: number;
  /** Everything between the epoch and the last hyphen. */
  upstream: string;
  /** After the last hyphen; '' when there is none (which orders like `-0`). */
  revision: string;
}

/**
 * Why dpkg refuses a version. `error`s are refused everywhere; `warning`s are refused by
 * dpkg's strict parsers (building a package, the status database) and only reported by
 * `dpkg --compare-versions`.
 */
export interface DpkgVersionProblem {
  severity: 'error' | 'warning';
  message: string;
}

export interface ParsedDpkgVersion extends DpkgVersion {
  /** Present when dpkg would not accept the version; the other fields are then a best-effort split. */
  problem?: DpkgVersionProblem;
}

const INT_MAX = '2147483647';

interface Split {
  /** The epoch's decimal digits, kept as text so an oversized (invalid) epoch still orders by value. */
  epochDigits: string;
  upstream: string;
  revision: string;
  problem?: DpkgVersionProblem;
}

/** Splits `version` as dpkg does, noting the first problem dpkg would report. */
export function parseDpkgVersion(version: string): ParsedDpkgVersion {
  const { epochDigits, upstream, revision, problem } = split(version);
  const parsed: ParsedDpkgVersion = { epoch: Number(epochDigits), upstream, revision };
  if (problem) parsed.problem = problem;
  return parsed;
}

/** True when dpkg accepts `version` without error or warning. */
export function isValidDpkgVersion(version: string): boolean {
  return split(version).problem === undefined;
}

/**
 * Orders two Debian versions: negative when `a` sorts before `b`, 0 when dpkg considers them
 * equal (e.g. `1.0` and `1.00`), positive otherwise. Versions dpkg refuses are still ordered,
 * deterministically, by their best-effort split, so sorting any list of strings is stable.
 */
export function compareDpkgVersions(a: string, b: string): number {
  const x = split(a);
  const y = split(b);
  return (
    compareDecimal(x.epochDigits, y.epochDigits) ||
    compareParts(x.upstream, y.upstream) ||
    compareParts(x.revision, y.revision)
  );
}

// dpkg's c_isblank: only space and tab are trimmed or count as embedded spaces.
const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t';
// What strtol() skips before the number (C isspace).
const isCSpace = (ch: string): boolean => ch === ' ' || (ch >= '\t' && ch <= '\r');
const UPSTREAM_CHARS = /^[0-9A-Za-z.\-+~:]*$/;
const REVISION_CHARS = /^[0-9A-Za-z.+~]*$/;

function split(version: string): Split {
  let problem: DpkgVersionProblem | undefined;
  const report = (severity: DpkgVersionProblem['severity'], message: string): void => {
    problem ??= { severity, message };
  };

  let start = 0;
  while (start < version.length && isBlank(version[start])) start++;
  let end = version.length;
  while (end > start && isBlank(version[end - 1])) end--;
  if (start === end) return { epochDigits: '0', upstream: '', revision: '', problem: { severity: 'error', message: 'version string is empty' } };
  const text = version.slice(start, end);
  if ([...text].some(isBlank)) report('error', 'version string has embedded spaces');

  let epochDigits = '0';
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epoch = readEpoch(text.slice(0, colon));
    if (epoch.problem) {
      report('error', epoch.problem);
    }
    // An epoch that is not a number at all leaves the whole text as the version, as if
    // there were no epoch; a merely oversized one still orders by its value.
    if (!epoch.problem || epoch.problem === 'epoch in version is too big') {
      epochDigits = epoch.digits;
      rest = text.slice(colon + 1);
      if (rest === '') report('error', 'nothing after colon in version number');
    }
  }

  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') report('error', 'revision number is empty');
  }
  if (upstream === '') report('error', 'version number is empty');
  else if (!isAsciiDigit(upstream.charCodeAt(0))) report('warning', 'version number does not start with digit');
  else if (!UPSTREAM_CHARS.test(upstream)) report('warning', 'invalid character in version number');
  if (!REVISION_CHARS.test(revision)) report('warning', 'invalid character in revision number');

  return problem ? { epochDigits, upstream, revision, problem } : { epochDigits, upstream, revision };
}

/** The text before the first colon, read as strtol() reads it; dpkg's checks in its order. */
function readEpoch(text: string): { digits: string; problem?: string } {
  let i = 0;
  while (i < text.length && isCSpace(text[i])) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  const digitsStart = i;
  while (i < text.length && isAsciiDigit(text.charCodeAt(i))) i++;
  const digits = text.slice(digitsStart, i);
  if (digits === '') return { digits: '0', problem: 'epoch in version is empty' };
  if (i !== text.length) return { digits, problem: 'epoch in version is not number' };
  // strtol reads "-0" as 0, which dpkg accepts.
  if (negative && compareDecimal(digits, '0') !== 0) return { digits, problem: 'epoch in version is negative' };
  if (compareDecimal(digits, INT_MAX) > 0) return { digits, problem: 'epoch in version is too big' };
  return { digits };
}

/**
 * dpkg's verrevcmp(): alternate runs of non-digits, compared character by character with
 * order(), and runs of digits, compared by value. Digit runs are compared without converting
 * them to numbers, so arbitrarily long runs cannot overflow.
 */
function compareParts(aText: string, bText: string): number {
  const a = utf8Bytes(aText);
  const b = utf8Bytes(bText);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isAsciiDigit(a.charCodeAt(i))) || (j < b.length && !isAsciiDigit(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    let firstDiff = 0;
    while (isAsciiDigit(a.charCodeAt(i)) && isAsciiDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isAsciiDigit(a.charCodeAt(i))) return 1;
    if (isAsciiDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * dpkg's order(): `~` sorts before everything, even the end of the part; then the end (or a
 * digit, which ends a non-digit run); then ASCII letters; then every other character, by its
 * code + 256. dpkg passes a C `char` there, which is signed on amd64: a non-ASCII byte arrives
 * as byte - 256 and so weighs its unsigned value, between the letters and ASCII punctuation.
 * We follow amd64 (arm64 dpkg, with unsigned chars, puts those bytes after the punctuation).
 * A NUL byte, which dpkg never sees, counts as an ordinary non-letter.
 */
function order(bytes: string, index: number): number {
  if (index >= bytes.length) return 0;
  const code = bytes.charCodeAt(index);
  if (isAsciiDigit(code)) return 0;
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return code;
  if (code === 0x7e) return -1;
  return code >= 0x80 ? code : code + 256;
}
