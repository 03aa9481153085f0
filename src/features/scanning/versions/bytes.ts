// Helpers shared by the dpkg and apk orderings. Both tools compare C strings byte by byte,
// so versions are compared as their UTF-8 bytes, held one byte per UTF-16 code unit.

const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** The UTF-8 bytes of `text` as a string of code units 0-255 (identity for ASCII, the usual case). */
export function utf8Bytes(text: string): string {
  return ASCII_ONLY.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

export const isAsciiDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;

/**
 * Compares two runs of decimal digits by value, however long: without leading zeros the
 * longer run is the larger number, and equal lengths compare digit by digit.
 */
export function compareDecimal(a: string, b: string): number {
  const x = stripLeadingZeros(a);
  const y = stripLeadingZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function stripLeadingZeros(digits: string): string {
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 0x30) start++;
  return digits.slice(start);
}

/** Byte-wise comparison, shorter first on a common prefix (C's memcmp, then length). */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
