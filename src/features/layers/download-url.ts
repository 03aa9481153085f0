import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseDigest } from '../../lib/digest.js';
import type { Scope } from '../../lib/scope.js';

// GetDownloadUrlForLayer's URLs. Real ECR answers with an S3 presigned URL valid for an hour;
// Berth answers with a URL on itself, /_berth/layers/<token>, whose token carries what it
// grants (one layer of one repository) and when that ends, signed with a server secret. The
// route serving it needs no credentials and no store lookup to decide whether to trust it:
// only verifyDownloadToken.
//
//   token = base64url(JSON payload) "." base64url(HMAC-SHA256(secret, first part))

/** How long a download URL stays valid: an hour, as ECR's presigned URLs do. */
export const DOWNLOAD_URL_LIFETIME_MS = 60 * 60 * 1000;

export const DOWNLOAD_PATH_PREFIX = '/_berth/layers/';

/** What a download URL lets its holder read. */
export interface DownloadGrant {
  scope: Scope;
  repositoryName: string;
  digest: string;
}

interface TokenPayload {
  accountId: string;
  region: string;
  repositoryName: string;
  digest: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const mac = (secret: Buffer, payload: string): Buffer => createHmac('sha256', secret).update(payload).digest();

export function signDownloadToken(secret: Buffer, grant: DownloadGrant, expiresAt: number): string {
  const payload: TokenPayload = {
    accountId: grant.scope.accountId,
    region: grant.scope.region,
    repositoryName: grant.repositoryName,
    digest: grant.digest,
    expiresAt,
  };
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${encoded}.${mac(secret, encoded).toString('base64url')}`;
}

/** A download URL on `host` (the registry host clients use), valid for an hour from `now`. */
export function signDownloadUrl(secret: Buffer, host: string, grant: DownloadGrant, now: Date): string {
  const token = signDownloadToken(secret, grant, now.getTime() + DOWNLOAD_URL_LIFETIME_MS);
  return `http://${host}${DOWNLOAD_PATH_PREFIX}${token}`;
}

function isPayload(value: unknown): value is TokenPayload {
  if (!value || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.accountId === 'string' &&
    typeof record.region === 'string' &&
    typeof record.repositoryName === 'string' &&
    typeof record.digest === 'string' &&
    typeof record.expiresAt === 'number'
  );
}

/**
 * The grant a token carries, or undefined when it was not signed with `secret`, is malformed,
 * or has expired at `now`.
 */
export function verifyDownloadToken(secret: Buffer, token: string, now: Date | number): DownloadGrant | undefined {
  const parts = token.split('.');
  if (parts.length !== 2) return undefined;
  const [encoded, signature] = parts as [string, string];
  const expected = mac(secret, encoded);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isPayload(payload) || !parseDigest(payload.digest)) return undefined;
  const at = typeof now === 'number' ? now : now.getTime();
  if (at >= payload.expiresAt) return undefined;
  return {
    scope: { accountId: payload.accountId, region: payload.region },
    repositoryName: payload.repositoryName,
    digest: payload.digest,
  };
}

let processSecret: Buffer | undefined;

/**
 * A secret for servers built without one (tests, tools): random, made once per process, so
 * its URLs do not outlive the process. The server proper passes a stored secret instead.
 */
export function processDownloadSecret(): Buffer {
  processSecret ??= randomBytes(32);
  return processSecret;
}
