import { accountRootPrincipal, type Principal } from '../lib/principal.js';
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

export interface Caller {
  /** The account and region the call acts in. */
  scope: Scope;
  /** The identity it acts as: with IAM off, the account's root, keeping the access key id. */
  principal: Principal;
}

export function callerFromAuthorization(header: string | undefined, defaults: Scope): Caller {
  const match = header ? CREDENTIAL.exec(header) : null;
  if (!match) return { scope: defaults, principal: accountRootPrincipal(defaults.accountId, defaults.region) };
  const [, accessKeyId, region] = match;
  const scope = {
    accountId: ACCOUNT_ID_PATTERN.test(accessKeyId) ? accessKeyId : defaults.accountId,
    region: /^[a-z0-9-]{2,25}$/.test(region) ? region : defaults.region,
  };
  return { scope, principal: accountRootPrincipal(scope.accountId, scope.region, accessKeyId) };
}
