import type { Scope } from './scope.js';

/** The AWS partition a region belongs to, as ARNs spell it. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

export function repositoryArn(scope: Scope, repositoryName: string): string {
  return `arn:${partitionOf(scope.region)}:ecr:${scope.region}:${scope.accountId}:repository/${repositoryName}`;
}

export interface ParsedRepositoryArn {
  scope: Scope;
  repositoryName: string;
}

const REPOSITORY_ARN = /^arn:aws[a-z-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository\/(.+)$/;

export function parseRepositoryArn(arn: string): ParsedRepositoryArn | undefined {
  const match = REPOSITORY_ARN.exec(arn);
  if (!match) return undefined;
  return { scope: { region: match[1], accountId: match[2] }, repositoryName: match[3] };
}
