import { matchesWildcard } from '../../lib/wildcard.js';
import type { ImageTagMutability, ImageTagMutabilityExclusionFilter } from '../../model/generated/types.js';
import type { TagMutabilityFilterRecord } from '../../store/records.js';
import { invalidParameter, invalidParameterAt } from '../messages.js';

/**
 * Checks a mutability setting as ECR does: the *_WITH_EXCLUSION modes need exclusion filters,
 * the plain modes take none. Returns what to store.
 */
export function checkTagMutability(
  mode: ImageTagMutability,
  filters: ImageTagMutabilityExclusionFilter[] | undefined,
): TagMutabilityFilterRecord[] | undefined {
  const withExclusion = mode.endsWith('_WITH_EXCLUSION');
  if (withExclusion && !filters?.length) {
    // Real ECR's wording, as captured from a CloudFormation deployment (aws/aws-cdk#35246).
    throw invalidParameterAt(
      'imageTagMutabilityExclusionFilters',
      `ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as ${mode}`,
    );
  }
  if (!withExclusion && filters?.length) {
    throw invalidParameter(
      `imageTagMutabilityExclusionFilters can only be specified when imageTagMutability is MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION`,
    );
  }
  if (!filters?.length) return undefined;
  const seen = new Set<string>();
  for (const { filter } of filters) {
    if (seen.has(filter)) throw invalidParameter(`Duplicate image tag mutability exclusion filter '${filter}'`);
    seen.add(filter);
  }
  return filters.map(({ filterType, filter }) => ({ filterType, filter }));
}

/** Whether an existing `tag` may not be moved to another image in this repository. */
export function isTagImmutable(
  repository: { imageTagMutability: string; imageTagMutabilityExclusionFilters?: TagMutabilityFilterRecord[] },
  tag: string,
): boolean {
  const excluded = () => (repository.imageTagMutabilityExclusionFilters ?? []).some(({ filter }) => matchesWildcard(filter, tag));
  switch (repository.imageTagMutability) {
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !excluded();
    case 'MUTABLE_WITH_EXCLUSION':
      return excluded();
    default:
      return false;
  }
}
