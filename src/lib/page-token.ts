/**
 * Opaque pagination tokens. The token carries the last key a page returned plus a tag naming
 * the listing, so a token from one listing is refused by another.
 */
export function encodePageToken(listing: string, lastKey: string): string {
  return Buffer.from(JSON.stringify({ l: listing, k: lastKey }), 'utf8').toString('base64url');
}

/** Returns the last key, or undefined when the token is not one of ours for this listing. */
export function decodePageToken(listing: string, token: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'l' in parsed && 'k' in parsed) {
      const { l, k } = parsed as { l: unknown; k: unknown };
      if (l === listing && typeof k === 'string') return k;
    }
  } catch {
    // fall through: not a token we issued
  }
  return undefined;
}
