import { ACCOUNT_ID_PATTERN, type Scope } from '../lib/scope.js';

/**
 * Who is calling, from the SigV4 Authorization header. Signatures are not verified (Berth is a
 * local emulator); the access key chooses the account and the credential scope the region:
 *
 *   Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/ecr/aws4_request, ...
 *
 * A 12-digit access key id is that account; any other key is the default account.
 */
const CREDENTIAL = /Credential=([^/,\s]+)\/[^/,\s]*\/([^/,\s]+)\//;

export function scopeFromAuthorization(header: string | undefined, defaults: Scope): Scope {
  if (!header) return defaults;
  const match = CREDENTIAL.exec(header);
  if (!match) return defaults;
  const [, accessKeyId, region] = match;
  return {
    accountId: ACCOUNT_ID_PATTERN.test(accessKeyId) ? accessKeyId : defaults.accountId,
    region: /^[a-z0-9-]{2,25}$/.test(region) ? region : defaults.region,
  };
}
