import { createHmac, randomBytes } from 'node:crypto';
import {
  DOWNLOAD_URL_LIFETIME_MS,
  signDownloadToken,
  signDownloadUrl,
  verifyDownloadToken,
  type DownloadGrant,
} from '../../../src/features/layers/download-url.js';

const secret = randomBytes(32);
const grant: DownloadGrant = {
  scope: { accountId: '123456789012', region: 'eu-west-1' },
  repositoryName: 'team/app',
  digest: `sha256:${'ab'.repeat(32)}`,
};
const now = new Date('2025-01-01T00:00:00Z');

const tokenOf = (url: string): string => url.slice(url.lastIndexOf('/') + 1);

test('a URL names the host and carries a token that verifies to its grant for an hour', () => {
  const url = signDownloadUrl(secret, 'registry.test:5000', grant, now);
  expect(url).toMatch(/^http:\/\/registry\.test:5000\/_berth\/layers\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  const token = tokenOf(url);
  expect(verifyDownloadToken(secret, token, now)).toEqual(grant);
  expect(verifyDownloadToken(secret, token, now.getTime() + DOWNLOAD_URL_LIFETIME_MS - 1)).toEqual(grant);
  expect(verifyDownloadToken(secret, token, now.getTime() + DOWNLOAD_URL_LIFETIME_MS)).toBeUndefined();
  expect(DOWNLOAD_URL_LIFETIME_MS).toBe(3_600_000);
});

test('another secret does not verify the token', () => {
  const token = signDownloadToken(secret, grant, now.getTime() + 1000);
  expect(verifyDownloadToken(randomBytes(32), token, now)).toBeUndefined();
});

test('a changed payload or signature does not verify', () => {
  const token = signDownloadToken(secret, grant, now.getTime() + 1000);
  const [payload, signature] = token.split('.') as [string, string];
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...decoded, repositoryName: 'team/other' })).toString('base64url');
  expect(verifyDownloadToken(secret, `${forged}.${signature}`, now)).toBeUndefined();
  const extended = Buffer.from(JSON.stringify({ ...decoded, expiresAt: now.getTime() + 10 * DOWNLOAD_URL_LIFETIME_MS })).toString('base64url');
  expect(verifyDownloadToken(secret, `${extended}.${signature}`, now)).toBeUndefined();
  const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
  expect(verifyDownloadToken(secret, `${payload}.${flipped}`, now)).toBeUndefined();
});

test.each(['', 'abc', 'a.b.c', '.', `${Buffer.from('{}').toString('base64url')}.`])('malformed token %p does not verify', (token) => {
  expect(verifyDownloadToken(secret, token, now)).toBeUndefined();
});

test('a well-signed payload that is not a grant does not verify', () => {
  const payload = Buffer.from(JSON.stringify({ accountId: 1, digest: 'x' })).toString('base64url');
  // Signed exactly as the module signs, so only the payload's shape can refuse it.
  const signature = createHmac('sha256', secret).update(payload).digest('base64url');
  expect(verifyDownloadToken(secret, `${payload}.${signature}`, now)).toBeUndefined();
});
