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

/** An image id as ECR quotes it in messages: {imageDigest:'sha256:...', imageTag:'null'}. */
export const imageIdText = (imageId: { imageDigest?: string; imageTag?: string }): string =>
  `{imageDigest:'${imageId.imageDigest ?? 'null'}', imageTag:'${imageId.imageTag ?? 'null'}'}`;

export const imageNotFound = (scope: Scope, repositoryName: string, imageId: { imageDigest?: string; imageTag?: string }): AwsError =>
  ecrError(
    'ImageNotFoundException',
    `The image with imageId ${imageIdText(imageId)} does not exist within the repository with name '${repositoryName}' in the registry with id '${scope.accountId}'`,
  );
