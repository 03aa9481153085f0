import { partitionOf } from './arn.js';

/**
 * Who makes a request: the identity behind its credentials, as IAM names it. The control
 * plane learns it from the SigV4 signature; the registry from the token the principal obtained
 * with GetAuthorizationToken, since a token acts as the identity that asked for it.
 */
export interface Principal {
  /** The account the principal belongs to. */
  readonly accountId: string;
  /** The principal's ARN, as access-denied messages quote it. */
  readonly arn: string;
  /** The access key id the caller signed with, when there was one. */
  readonly accessKeyId?: string;
}

/**
 * With IAM off there are no users or roles: a caller is its account's root, which is also the
 * identity a repository policy names when it grants a whole account (`arn:aws:iam::<id>:root`).
 */
export function accountRootPrincipal(accountId: string, region: string, accessKeyId?: string): Principal {
  return {
    accountId,
    arn: `arn:${partitionOf(region)}:iam::${accountId}:root`,
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
  };
}
