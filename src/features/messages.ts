import { ecrError, type AwsError } from '../model/errors.js';
import type { Scope } from '../lib/scope.js';

// ECR's own wording for the errors several features raise.

export const repositoryNotFound = (scope: Scope, name: string): AwsError =>
  ecrError(
    'RepositoryNotFoundException',
    `The repository with name '${name}' does not exist in the registry with id '${scope.accountId}'`,
  );

export const invalidParameter = (message: string): AwsError => ecrError('InvalidParameterException', message);

/** ECR's usual InvalidParameterException form: "Invalid parameter at 'x' failed to satisfy constraint: '...'". */
export const invalidParameterAt = (member: string, constraint: string): AwsError =>
  invalidParameter(`Invalid parameter at '${member}' failed to satisfy constraint: '${constraint}'`);
