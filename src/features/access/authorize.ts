import { repositoryArn } from '../../lib/arn.js';
import type { Principal } from '../../lib/principal.js';
import type { Scope } from '../../lib/scope.js';
import type { OperationName } from '../../model/generated/operations.js';

// Authorization, asked in one form from every front door: may this principal do this ECR
// action on this repository? The routes say which action they are (registry/index.ts); the
// Authorizer answers. Handlers never decide access themselves.

/** An ECR IAM action: each is named after the API operation it allows. */
export type EcrAction = `ecr:${OperationName}`;

export interface AccessRequest {
  principal: Principal;
  action: EcrAction;
  repository: { scope: Scope; name: string };
}

/** Why access was refused, as IAM's messages give the reason. */
export type DenialReason = 'no-resource-based-policy';

export type AccessDecision = { allowed: true } | { allowed: false; reason: DenialReason };

/** Decides one AccessRequest. Async, so that a policy evaluator reading stored policies can take its place. */
export type Authorizer = (request: AccessRequest) => Promise<AccessDecision>;

const ALLOWED: AccessDecision = { allowed: true };

/**
 * The decision while Berth evaluates no policies: anything in the principal's own account,
 * nothing in another's, as in ECR when no repository or registry policy grants the other
 * account anything.
 */
export const ownAccountOnly: Authorizer = async ({ principal, repository }) =>
  principal.accountId === repository.scope.accountId ? ALLOWED : { allowed: false, reason: 'no-resource-based-policy' };

const REASON_WORDING: Record<DenialReason, (action: EcrAction) => string> = {
  'no-resource-based-policy': (action) => `because no resource-based policy allows the ${action} action`,
};

/**
 * IAM's wording of a refusal, which ECR passes on (on /v2 as `denied: ...`):
 * "User: arn:aws:iam::111111111111:root is not authorized to perform: ecr:BatchGetImage on
 * resource: arn:aws:ecr:us-east-1:222222222222:repository/app because no resource-based policy
 * allows the ecr:BatchGetImage action".
 */
export function accessDeniedMessage({ principal, action, repository }: AccessRequest, reason: DenialReason): string {
  const resource = repositoryArn(repository.scope, repository.name);
  return `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${REASON_WORDING[reason](action)}`;
}
