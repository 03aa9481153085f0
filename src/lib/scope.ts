/** Every piece of ECR state belongs to one account in one region. */
export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;

export function scopeKey(scope: Scope): string {
  return `${scope.accountId}/${scope.region}`;
}
