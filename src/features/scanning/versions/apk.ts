// Alpine package version ordering, following apk-tools' src/version.c (the tokenizer of
// apk-tools 3, which also accepts `~<commit hash>`):
//
//   digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}
//
// A version is read as a sequence of tokens, each kind only allowed after certain others;
// two versions compare token by token while their kinds agree, and where they stop agreeing
// the kinds themselves decide.

import { compareBytes, compareDecimal, isAsciiDigit, utf8Bytes } from './bytes.js';

// Token kinds, in apk's order: where two versions' kinds differ, the higher kind sorts first
// (so a version that ends sorts before one that goes on, and an invalid tail before both),
// except that a pre-release suffix sorts before anything.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NUMBER = 4;
const COMMIT_HASH = 5;
const REVISION = 6;
const END = 7;
const INVALID = 8;

// Suffix ranks: below NO_SUFFIX are pre-releases, above it post-releases.
const NO_SUFFIX = 5;
const SUFFIX_RANK: ReadonlyMap<string, number> = new Map([
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['rc', 4],
  ['cvs', 6],
  ['svn', 7],
  ['git', 8],
  ['hg', 9],
  ['p', 10],
]);

const isLowerLetter = (code: number): boolean => code >= 0x61 && code <= 0x7a;
const isHexDigit = (code: number): boolean => isAsciiDigit(code) || (code >= 0x61 && code <= 0x66);
// apk's character-class spans (apk_blob_spn) let any non-ASCII byte through, so such bytes
// end up inside a suffix (making it unknown, hence invalid) or a commit hash.
const orNonAscii =
  (test: (code: number) => boolean) =>
  (code: number): boolean =>
    code >= 0x80 || test(code);
const inSuffixSpan = orNonAscii(isLowerLetter);
const inHashSpan = orNonAscii(isHexDigit);

/** Walks a version's tokens; `kind` and `value` describe the current one. */
class Tokens {
  kind = INITIAL_DIGIT;
  /** The token's text (UTF-8 bytes, one per code unit). */
  value = '';
  /** Rank of a SUFFIX token. */
  suffix = 0;
  private position = 0;

  constructor(private readonly bytes: string) {
    this.readDigits();
  }

  next(): void {
    const { bytes } = this;
    if (this.position >= bytes.length) {
      this.kind = END;
      return;
    }
    const code = bytes.charCodeAt(this.position);
    if (isLowerLetter(code)) {
      if (this.kind > DIGIT) return this.invalid();
      this.value = bytes[this.position++];
      this.kind = LETTER;
    } else if (code === 0x2e /* . */ || isAsciiDigit(code)) {
      if (code === 0x2e) {
        if (this.kind > DIGIT) return this.invalid();
        this.position++;
      }
      if (this.kind === INITIAL_DIGIT || this.kind === DIGIT) this.kind = DIGIT;
      else if (this.kind === SUFFIX) this.kind = SUFFIX_NUMBER;
      else return this.invalid();
      this.readDigits();
    } else if (code === 0x5f /* _ */) {
      if (this.kind > SUFFIX_NUMBER) return this.invalid();
      this.position++;
      this.value = this.span(inSuffixSpan);
      const rank = SUFFIX_RANK.get(this.value);
      if (rank === undefined) return this.invalid();
      this.suffix = rank;
      this.kind = SUFFIX;
    } else if (code === 0x7e /* ~ */) {
      if (this.kind >= COMMIT_HASH) return this.invalid();
      this.position++;
      this.value = this.span(inHashSpan);
      if (this.value === '') return this.invalid();
      this.kind = COMMIT_HASH;
    } else if (code === 0x2d /* - */) {
      if (this.kind >= REVISION || bytes[this.position + 1] !== 'r') return this.invalid();
      this.position += 2;
      this.kind = REVISION;
      this.readDigits();
    } else {
      this.invalid();
    }
  }

  private readDigits(): void {
    this.value = this.span((code) => isAsciiDigit(code));
    if (this.value === '') this.kind = INVALID;
  }

  private span(accept: (code: number) => boolean): string {
    const start = this.position;
    while (this.position < this.bytes.length && accept(this.bytes.charCodeAt(this.position))) this.position++;
    return this.bytes.slice(start, this.position);
  }

  private invalid(): void {
    this.kind = INVALID;
  }
}

/** Compares two tokens of the same kind. */
function compareTokens(a: Tokens, b: Tokens): number {
  switch (a.kind) {
    case DIGIT:
      // A component after a dot with a leading zero compares as text (Gentoo's rule, which
      // makes `1.01` sort like the decimal fraction it looks like); otherwise as a number.
      if (a.value.startsWith('0') || b.value.startsWith('0')) return compareBytes(a.value, b.value);
      return compareDecimal(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NUMBER:
    case REVISION:
      // apk reads these into a uint64; comparing by exact value differs only beyond 19 digits.
      return compareDecimal(a.value, b.value);
    case SUFFIX:
      return Math.sign(a.suffix - b.suffix);
    default:
      // LETTER (one byte) and COMMIT_HASH compare as text.
      return compareBytes(a.value, b.value);
  }
}

/** True when apk accepts `version` (apk_version_validate). */
export function isValidApkVersion(version: string): boolean {
  const tokens = new Tokens(utf8Bytes(version));
  while (tokens.kind < END) tokens.next();
  return tokens.kind === END;
}

/**
 * Orders two Alpine versions as apk does: negative when `a` sorts before `b`, 0 when apk
 * considers them equal, positive otherwise. Invalid versions still order deterministically
 * (apk reads them up to the first invalid token, which sorts before any valid continuation).
 */
export function compareApkVersions(a: string, b: string): number {
  const x = new Tokens(utf8Bytes(a));
  const y = new Tokens(utf8Bytes(b));
  while (x.kind === y.kind && x.kind < END) {
    const order = compareTokens(x, y);
    if (order !== 0) return order;
    x.next();
    y.next();
  }
  if (x.kind === y.kind) return 0;
  // Everything so far was equal and one version goes on where the other does not (or goes
  // on differently): a pre-release suffix makes its version the older one ...
  if (x.kind === SUFFIX && x.suffix < NO_SUFFIX) return -1;
  if (y.kind === SUFFIX && y.suffix < NO_SUFFIX) return 1;
  // ... and otherwise the version whose next token is of a lower kind is the newer one.
  return x.kind > y.kind ? -1 : 1;
}
