import { createHash, type Hash } from 'node:crypto';

/** Content digests as OCI defines them: `<algorithm>:<encoded>`. */
const DIGEST_FORMS: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** The digest's parts, or undefined when it is not a well-formed sha256/sha512 digest. */
export function parseDigest(digest: string): ParsedDigest | undefined {
  const colon = digest.indexOf(':');
  if (colon < 0) return undefined;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const form = DIGEST_FORMS[algorithm];
  if (!form || !form.test(hex)) return undefined;
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

export const isDigest = (value: string): boolean => parseDigest(value) !== undefined;

export const sha256Hasher = (): Hash => createHash('sha256');

export const sha256Digest = (bytes: Buffer | string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The digest of `bytes` with the algorithm `like` uses (sha256 unless it names sha512). */
export function digestLike(like: string, bytes: Buffer): string {
  const algorithm = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
